using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Soak.Mixes;

/// <summary>
/// Per-operation timeouts (linked timeouts). Legal outcomes:
/// - a read of an empty pipe with a timeout of 1-5 ms: TimeoutException only; the next bytes written must then reach
///   the next read (the timed-out read consumed nothing);
/// - a file read with a 30 s timeout (explicit, or the file's OperationTimeout): the right bytes;
/// - a pipe read with a 2 ms timeout while 8 bytes are written after a random 0.5-3.5 ms: the 8 bytes, or
///   TimeoutException and then the 8 bytes on the next read.
/// </summary>
internal sealed class TimeoutLoop(SoakContext context, UringWorker worker) : SoakLoop(context, worker)
{
    private readonly byte[] _buffer = new byte[65536];
    private readonly byte[] _small = new byte[16];
    private readonly byte[] _bytes = new byte[8];
    private SafeFileHandle _pipeRead = null!;
    private SafeFileHandle _pipeWrite = null!;
    private UringFile _pipe = null!;
    private long _sequence;
    private ulong _key;

    public override ValueTask StartAsync()
    {
        (_pipeRead, _pipeWrite) = NativePipe.Create();
        _pipe = UringFile.FromHandle(_pipeRead);
        _key = 0x7100_0000UL + (ulong)Random.Next();
        return default;
    }

    public override ValueTask StopAsync()
    {
        _pipe.Dispose();
        _pipeRead.Dispose();
        _pipeWrite.Dispose();
        return default;
    }

    public override async Task StepAsync()
    {
        switch (Random.Next(3))
        {
            case 0:
            {
                Kind = "timeout.fires";
                TimeSpan timeout = TimeSpan.FromMilliseconds(Random.Next(1, 6));
                bool timedOut = await TimedOut(_pipe.ReadAsync(_small, 0, timeout));
                Count();
                if (!timedOut)
                {
                    Mismatch($"a read of an empty pipe with a {timeout.TotalMilliseconds} ms timeout completed");
                    break;
                }

                await WriteAndReadAsync("after a timed-out read");
                break;
            }

            case 1:
            {
                Kind = "timeout.does-not-fire";
                int file = NextFile();
                long offset = AnyOffset();
                int length = Random.Next(1, _buffer.Length + 1);
                int n = Random.Next(2) == 0
                    ? await Data.WithTimeout[file].ReadAsync(_buffer.AsMemory(0, length), offset)
                    : await Data.Registered[file].ReadAsync(_buffer.AsMemory(0, length), offset, TimeSpan.FromSeconds(30));
                Count();
                CheckRead($"file {file} @{offset}+{length} with a 30 s timeout", n, DataSet.Expected(offset, length), _buffer.AsSpan(0, Math.Clamp(n, 0, length)), DataSet.KeyOf(file), offset);
                break;
            }

            default:
            {
                Kind = "timeout.races-data";
                long sequence = ++_sequence;
                Pattern.Fill(_bytes, _key, sequence * 8);
                ValueTask<int> read = _pipe.ReadAsync(_small, 0, TimeSpan.FromMilliseconds(2));
                await Worker!.DelayAsync(TimeSpan.FromMicroseconds(Random.Next(500, 3500)));
                await UringRandomAccess.WriteAsync(_pipeWrite, _bytes, 0);
                int n;
                try
                {
                    n = await read;
                    Outcome("data first");
                }
                catch (TimeoutException)
                {
                    Outcome("timed out, data on the next read");
                    n = await _pipe.ReadAsync(_small, 0);
                    Count();
                }

                Count(3);
                CheckRead("pipe read racing a 2 ms timeout", n, 8, _small.AsSpan(0, Math.Clamp(n, 0, 8)), _key, sequence * 8);
                break;
            }
        }

        CheckThread(Kind);
    }

    private async Task WriteAndReadAsync(string when)
    {
        long sequence = ++_sequence;
        Pattern.Fill(_bytes, _key, sequence * 8);
        await UringRandomAccess.WriteAsync(_pipeWrite, _bytes, 0);
        int n = await _pipe.ReadAsync(_small, 0);
        Count(2);
        CheckRead($"pipe read {when}", n, 8, _small.AsSpan(0, Math.Clamp(n, 0, 8)), _key, sequence * 8);
    }

    private static async ValueTask<bool> TimedOut(ValueTask<int> operation)
    {
        try
        {
            await operation;
            return false;
        }
        catch (TimeoutException)
        {
            return true;
        }
    }
}
