namespace UringScheduler.Soak.Mixes;

/// <summary>
/// UringFile open/close churn on the registered-file table: open a data file (through the ring with io_uring;
/// O_DIRECT or buffered), 1-3 checked reads (each registers the file on this worker's table first), then close, sometimes
/// with a read still in flight, which must still complete with the right bytes. A read after the close must throw
/// ObjectDisposedException.
/// </summary>
internal sealed class ChurnLoop(SoakContext context, UringWorker worker) : SoakLoop(context, worker)
{
    public override async Task StepAsync()
    {
        int file = NextFile();
        bool direct = Data.Direct is not null && Random.Next(2) == 0;
        Kind = direct ? "churn.direct" : "churn.buffered";
        UringFile opened = await UringFile.OpenAsync(Data.DataPaths[file], new UringFileOptions { Access = FileAccess.Read, Mode = FileMode.Open, Direct = direct });
        Count();
        using UringBuffer buffer = Context.Buffers.Rent();
        bool closed = false;
        try
        {
            int reads = Random.Next(1, 4);
            for (int i = 0; i < reads; i++)
            {
                long offset = Random.NextInt64(DataSet.FileSize / 4096) * 4096;
                int length = Random.Next(1, (buffer.Length / 4096) + 1) * 4096;
                ValueTask<int> read = opened.ReadAsync(buffer.Memory[..length], offset);
                if (i == reads - 1 && Random.Next(2) == 0)
                {
                    // The last read is still in flight while the file closes.
                    await opened.DisposeAsync();
                    closed = true;
                    Count();
                    Outcome("closed with a read in flight");
                }

                int n = await read;
                Count();
                CheckRead($"file {file} @{offset}+{length}{(closed ? ", closed while in flight" : "")}", n, DataSet.Expected(offset, length), buffer.GetSpan()[..Math.Clamp(n, 0, length)], DataSet.KeyOf(file), offset);
            }
        }
        finally
        {
            if (!closed)
            {
                opened.Dispose();
                Count();
            }
        }

        try
        {
            _ = opened.ReadAsync(buffer.Memory[..4096], 0);
            Mismatch("a read after close was accepted");
        }
        catch (ObjectDisposedException)
        {
        }

        CheckThread(Kind);
    }
}
