using System.Runtime.InteropServices;

namespace UringScheduler.Soak.Mixes;

/// <summary>
/// Random reads of the data files, each checked (count and every byte): buffered through UringRandomAccess into a
/// managed array, into a pinned-heap array and into a pool buffer (READ_FIXED), through a registered UringFile into a
/// pool buffer, and O_DIRECT reads into a pool buffer. Offsets reach past the end of file, so short and empty reads
/// are part of the mix.
/// </summary>
internal sealed class ReadLoop(SoakContext context, UringWorker? worker) : SoakLoop(context, worker)
{
    private readonly byte[] _array = new byte[65536];
    private readonly Memory<byte> _pinned = MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray<byte>(65536, pinned: true), 0, 65536);

    public override async Task StepAsync()
    {
        int file = NextFile();
        ulong key = DataSet.KeyOf(file);
        switch (Random.Next(Data.Direct is null ? 5 : 6))
        {
            case 0:
            {
                Kind = Prefix + "read.buffered";
                long offset = AnyOffset();
                int length = Random.Next(1, _array.Length + 1);
                int n = await UringRandomAccess.ReadAsync(Data.DataHandles[file], _array.AsMemory(0, length), offset);
                Count();
                CheckRead($"file {file} @{offset}+{length}", n, DataSet.Expected(offset, length), _array.AsSpan(0, Math.Clamp(n, 0, length)), key, offset);
                break;
            }

            case 1:
            {
                Kind = Prefix + "read.pinned";
                long offset = AnyOffset();
                int length = Random.Next(1, _pinned.Length + 1);
                int n = await UringRandomAccess.ReadAsync(Data.DataHandles[file], _pinned[..length], offset);
                Count();
                CheckRead($"file {file} @{offset}+{length}", n, DataSet.Expected(offset, length), _pinned.Span[..Math.Clamp(n, 0, length)], key, offset);
                break;
            }

            case 2:
            {
                Kind = Prefix + "read.fixed-buffer";
                using UringBuffer buffer = Context.Buffers.Rent();
                long offset = AnyOffset();
                int length = Random.Next(1, buffer.Length + 1);
                int n = await UringRandomAccess.ReadAsync(Data.DataHandles[file], buffer.Memory[..length], offset);
                Count();
                CheckRead($"file {file} @{offset}+{length} (pool buffer, registered {buffer.IsRegistered})", n, DataSet.Expected(offset, length), buffer.GetSpan()[..Math.Clamp(n, 0, length)], key, offset);
                break;
            }

            case 3:
            case 4:
            {
                Kind = Prefix + "read.registered-file";
                using UringBuffer buffer = Context.Buffers.Rent();
                long offset = AnyOffset();
                int length = Random.Next(1, buffer.Length + 1);
                int n = await Data.Registered[file].ReadAsync(buffer.Memory[..length], offset);
                Count();
                CheckRead($"file {file} @{offset}+{length} (pool buffer, registered {buffer.IsRegistered})", n, DataSet.Expected(offset, length), buffer.GetSpan()[..Math.Clamp(n, 0, length)], key, offset);
                break;
            }

            default:
            {
                Kind = Prefix + "read.direct";
                UringFile direct = Data.Direct![file];
                using UringBuffer buffer = Context.Buffers.Rent();
                int unit = direct.Alignment.OffsetAlignment;
                long offset = AlignedOffset(unit);
                int length = Random.Next(1, (buffer.Length / unit) + 1) * unit;
                int n = await direct.ReadAsync(buffer.Memory[..length], offset);
                Count();
                CheckRead($"O_DIRECT file {file} @{offset}+{length}", n, DataSet.Expected(offset, length), buffer.GetSpan()[..Math.Clamp(n, 0, length)], key, offset);
                break;
            }
        }

        CheckThread(Kind);
    }
}
