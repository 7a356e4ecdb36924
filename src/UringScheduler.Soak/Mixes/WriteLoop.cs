namespace UringScheduler.Soak.Mixes;

/// <summary>
/// Writes into the loop's own scratch region, each followed by fsync or fdatasync and a read-back through another path
/// that must return exactly what was written: buffered UringRandomAccess writes at any offset and length, registered
/// UringFile writes from pool buffers (some with a per-operation timeout that does not fire), O_DIRECT writes.
/// Every write has a new generation, so a stale block (an earlier write, or one lost) shows in the read-back.
/// </summary>
internal sealed class WriteLoop(SoakContext context, UringWorker? worker) : SoakLoop(context, worker)
{
    private readonly byte[] _source = new byte[65536];
    private readonly byte[] _target = new byte[65536];
    private int _region;
    private long _generation;

    public override ValueTask StartAsync()
    {
        _region = Data.TakeRegion();
        return default;
    }

    public override async Task StepAsync()
    {
        long regionStart = DataSet.RegionStart(_region);
        ulong key = Pattern.RegionKey(_region, ++_generation);
        int mode = Random.Next(Data.ScratchDirect is null ? 2 : 3);
        long offset;
        int length;
        UringBuffer? source = null;
        try
        {
            if (mode == 0)
            {
                Kind = Prefix + "write.buffered+fsync";
                offset = Random.Next(DataSet.RegionSize);
                length = Random.Next(1, Math.Min(_source.Length, DataSet.RegionSize - (int)offset) + 1);
                Pattern.Fill(_source.AsSpan(0, length), key, offset);
                await UringRandomAccess.WriteAsync(Data.ScratchHandle, _source.AsMemory(0, length), regionStart + offset);
                if (Random.Next(2) == 0)
                {
                    await UringRandomAccess.FlushToDiskAsync(Data.ScratchHandle);
                }
                else
                {
                    await Data.Scratch.FlushAsync(dataOnly: Random.Next(2) == 0);
                }
            }
            else
            {
                source = Context.Buffers.Rent();
                length = Random.Next(1, (source.Length / 4096) + 1) * 4096;
                offset = Random.Next((DataSet.RegionSize - length) / 4096 + 1) * 4096L;
                Pattern.Fill(source.GetSpan()[..length], key, offset);
                if (mode == 1)
                {
                    Kind = Prefix + "write.registered+fdatasync";
                    if (Random.Next(2) == 0)
                    {
                        await Data.Scratch.WriteAsync(source.Memory[..length], regionStart + offset, TimeSpan.FromSeconds(30));
                    }
                    else
                    {
                        await Data.Scratch.WriteAsync(source.Memory[..length], regionStart + offset);
                    }

                    await Data.Scratch.FlushAsync(dataOnly: true);
                }
                else
                {
                    Kind = Prefix + "write.direct+fdatasync";
                    await Data.ScratchDirect!.WriteAsync(source.Memory[..length], regionStart + offset);
                    await Data.ScratchDirect.FlushAsync(dataOnly: true);
                }
            }
        }
        finally
        {
            source?.Dispose();
        }

        Count(2);
        CheckThread(Kind + " (write)");
        await ReadBackAsync(mode, key, regionStart, offset, length);
        CheckThread(Kind + " (read-back)");
    }

    private async Task ReadBackAsync(int mode, ulong key, long regionStart, long offset, int length)
    {
        string what = $"read-back of region {_region} generation {_generation} @{offset}+{length}";
        int reader = Random.Next(mode > 0 && Data.ScratchDirect is not null ? 3 : 2);
        if (reader == 0)
        {
            int n = await UringRandomAccess.ReadAsync(Data.ScratchHandle, _target.AsMemory(0, length), regionStart + offset);
            Count();
            CheckRead(what + " (UringRandomAccess)", n, length, _target.AsSpan(0, Math.Clamp(n, 0, length)), key, offset);
        }
        else if (reader == 1)
        {
            int n = await Data.Scratch.ReadAsync(_target.AsMemory(0, length), regionStart + offset);
            Count();
            CheckRead(what + " (registered UringFile)", n, length, _target.AsSpan(0, Math.Clamp(n, 0, length)), key, offset);
        }
        else
        {
            using UringBuffer target = Context.Buffers.Rent();
            int n = await Data.ScratchDirect!.ReadAsync(target.Memory[..length], regionStart + offset);
            Count();
            CheckRead(what + " (O_DIRECT)", n, length, target.GetSpan()[..Math.Clamp(n, 0, length)], key, offset);
        }
    }
}
