using Microsoft.Win32.SafeHandles;

namespace UringScheduler.Soak.Mixes;

/// <summary>
/// Cancellation by tokens that fire at random moments. Legal outcomes:
/// - token cancelled before the call: the returned task is already cancelled;
/// - in flight on an empty pipe (a read that cannot complete by itself): OperationCanceledException only, and the pipe
///   must then give the next bytes written to the next read (a cancelled read consumed nothing);
/// - in flight on a file read or a ring delay: OperationCanceledException or the right result, if the kernel finished first;
/// - after completion: the right result, unaffected.
/// The token fires from the worker (at once, or after a ring delay) or from a timer thread (CancelAfter).
/// </summary>
internal sealed class CancelLoop(SoakContext context, UringWorker worker) : SoakLoop(context, worker)
{
    private readonly byte[] _buffer = new byte[65536];
    private readonly byte[] _small = new byte[16];
    private SafeFileHandle _pipeRead = null!;
    private SafeFileHandle _pipeWrite = null!;
    private long _pipeSequence;

    public override ValueTask StartAsync()
    {
        (_pipeRead, _pipeWrite) = NativePipe.Create();
        return default;
    }

    public override ValueTask StopAsync()
    {
        _pipeRead.Dispose();
        _pipeWrite.Dispose();
        return default;
    }

    public override async Task StepAsync()
    {
        switch (Random.Next(5))
        {
            case 0:
                await BeforeSubmitAsync();
                break;
            case 1:
                await InFlightOnPipeAsync();
                break;
            case 2:
                await InFlightOnFileAsync();
                break;
            case 3:
                await InFlightDelayAsync();
                break;
            default:
                await AfterCompletionAsync();
                break;
        }

        CheckThread(Kind);
    }

    private async Task BeforeSubmitAsync()
    {
        Kind = "cancel.before-submit";
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        int file = NextFile();
        int choice = Random.Next(4);
        ValueTask operation = choice switch
        {
            0 => new ValueTask(UringRandomAccess.ReadAsync(Data.DataHandles[file], _buffer, 0, cts.Token).AsTask()),
            1 => new ValueTask(Data.Registered[file].ReadAsync(_buffer, 0, cts.Token).AsTask()),
            2 => Worker!.DelayAsync(TimeSpan.FromMilliseconds(1), cts.Token),
            _ => UringRandomAccess.WriteAsync(Data.ScratchHandle, _buffer.AsMemory(0, 1), 0, cts.Token),
        };
        if (!operation.IsCanceled)
        {
            Mismatch($"choice {choice}: the task of a call with a cancelled token is not cancelled at once (completed {operation.IsCompleted})");
        }

        if (!await CatchCancel(operation))
        {
            Mismatch($"choice {choice}: a call with a cancelled token completed");
        }

        Count();
    }

    private async Task InFlightOnPipeAsync()
    {
        Kind = "cancel.in-flight-pipe";
        using var cts = new CancellationTokenSource();
        ValueTask<int> read = UringRandomAccess.ReadAsync(_pipeRead, _small, 0, cts.Token);
        string how = await FireAsync(cts);
        (bool cancelled, int n) = await CatchCancel(read);
        Count();
        if (!cancelled)
        {
            Mismatch($"a read of an empty pipe, cancelled {how}, returned {n} bytes");
            return;
        }

        await CheckPipeAsync($"after a read cancelled {how}");
    }

    /// <summary>Writes 8 pattern bytes into the pipe; the next read must return exactly them.</summary>
    private async Task CheckPipeAsync(string when)
    {
        long sequence = ++_pipeSequence;
        ulong key = 0xABCDEF00UL + (ulong)Environment.CurrentManagedThreadId;
        byte[] bytes = new byte[8];
        Pattern.Fill(bytes, key, sequence * 8);
        await UringRandomAccess.WriteAsync(_pipeWrite, bytes, 0);
        int n = await UringRandomAccess.ReadAsync(_pipeRead, _small, 0);
        Count(2);
        CheckRead($"pipe read {when}", n, 8, _small.AsSpan(0, Math.Clamp(n, 0, 8)), key, sequence * 8);
    }

    private async Task InFlightOnFileAsync()
    {
        using var cts = new CancellationTokenSource();
        int file = NextFile();
        int choice = Random.Next(Data.Direct is null ? 2 : 4);
        UringBuffer? pooled = choice >= 2 ? Context.Buffers.Rent() : null;
        try
        {
            long offset;
            int length;
            Memory<byte> target;
            ValueTask<int> read;
            if (pooled is null)
            {
                // Cached buffered reads often complete at submission: these mostly take the completed-first branch.
                Kind = "cancel.in-flight-file";
                offset = AnyOffset();
                length = Random.Next(1, _buffer.Length + 1);
                target = _buffer.AsMemory(0, length);
                read = choice == 0
                    ? UringRandomAccess.ReadAsync(Data.DataHandles[file], target, offset, cts.Token)
                    : Data.Registered[file].ReadAsync(target, offset, cts.Token);
            }
            else
            {
                // O_DIRECT reads go to the device and stay in flight long enough to be cancelled there.
                Kind = "cancel.in-flight-direct";
                offset = AlignedOffset(4096);
                length = Random.Next(1, (pooled.Length / 4096) + 1) * 4096;
                target = pooled.Memory[..length];
                read = Data.Direct![file].ReadAsync(target, offset, cts.Token);
            }

            string how = await FireAsync(cts);
            (bool cancelled, int n) = await CatchCancel(read);
            Count();
            Outcome(cancelled ? "cancelled" : "completed first");
            if (!cancelled)
            {
                CheckRead($"file {file} @{offset}+{length}, cancelled {how} after the kernel finished", n, DataSet.Expected(offset, length), target.Span[..Math.Clamp(n, 0, length)], DataSet.KeyOf(file), offset);
            }
        }
        finally
        {
            pooled?.Dispose();
        }
    }

    private async Task InFlightDelayAsync()
    {
        Kind = "cancel.in-flight-delay";
        using var cts = new CancellationTokenSource();
        TimeSpan delay = TimeSpan.FromMicroseconds(Random.Next(200, 4000));
        long start = Now();
        ValueTask wait = Worker!.DelayAsync(delay, cts.Token);
        string how = await FireAsync(cts);
        bool cancelled = await CatchCancel(wait);
        TimeSpan elapsed = Since(start);
        Count();
        Outcome(cancelled ? "cancelled" : "completed first");
        if (!cancelled && elapsed < delay)
        {
            Mismatch($"a delay of {delay.TotalMilliseconds:F3} ms, cancelled {how} too late, completed after only {elapsed.TotalMilliseconds:F3} ms");
        }
    }

    private async Task AfterCompletionAsync()
    {
        Kind = "cancel.after-completion";
        using var cts = new CancellationTokenSource();
        int file = NextFile();
        long offset = AnyOffset();
        int length = Random.Next(1, _buffer.Length + 1);
        int n = await Data.Registered[file].ReadAsync(_buffer.AsMemory(0, length), offset, cts.Token);
        cts.Cancel();
        Count();
        CheckRead($"file {file} @{offset}+{length}, token fired after completion", n, DataSet.Expected(offset, length), _buffer.AsSpan(0, Math.Clamp(n, 0, length)), DataSet.KeyOf(file), offset);
    }

    /// <summary>Fires the token at a random moment: at once on the worker, after a ring delay, or from a timer thread.</summary>
    private async ValueTask<string> FireAsync(CancellationTokenSource cts)
    {
        switch (Random.Next(3))
        {
            case 0:
                cts.Cancel();
                return "at once";
            case 1:
                TimeSpan delay = TimeSpan.FromMicroseconds(Random.Next(0, 1500));
                await Worker!.DelayAsync(delay);
                cts.Cancel();
                return $"after a {delay.TotalMilliseconds:F3} ms ring delay";
            default:
                int ms = Random.Next(0, 3);
                cts.CancelAfter(ms);
                return $"by CancelAfter({ms} ms)";
        }
    }
}
