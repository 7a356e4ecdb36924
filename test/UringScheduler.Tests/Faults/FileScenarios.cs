using UringScheduler.Native;

namespace UringScheduler.Tests.Faults;

/// <summary>Positioned reads of one block each, into guarded memory or into registered pool buffers (<c>READ_FIXED</c>).</summary>
internal sealed class ReadScenario(bool fixedBuffers) : FaultScenario
{
    private readonly Memory<byte>[] _buffers = new Memory<byte>[Count];
    private readonly UringBuffer[] _pooled = new UringBuffer[Count];
    private readonly byte[][] _data = new byte[Count][];
    private PatternFile? _file;

    public override IoUringOp[] Opcodes => [fixedBuffers ? IoUringOp.ReadFixed : IoUringOp.Read];

    public override bool Transfers => true;

    public override bool UsesFixedBuffers => fixedBuffers;

    public override Task SetupAsync(UringRuntime runtime, FaultPlan plan)
    {
        _file = new PatternFile();
        for (int i = 0; i < Count; i++)
        {
            if (fixedBuffers)
            {
                _pooled[i] = runtime.Buffers!.Rent();
                _buffers[i] = _pooled[i].Memory[..BlockSize];
            }
            else
            {
                _buffers[i] = NewGuard(plan, BlockSize).Memory;
            }
        }

        return Task.CompletedTask;
    }

    public override async ValueTask<long> RunAsync(int i, CancellationToken cancellationToken)
    {
        int n = await UringRandomAccess.ReadAsync(_file!.Handle, _buffers[i], (long)i * BlockSize, cancellationToken);
        _data[i] = _buffers[i].Span[..n].ToArray();
        return n;
    }

    public override void VerifySuccess(int i, Outcome expected, long result) =>
        AssertRead(expected, result, _data[i], (long)i * BlockSize, $"read {i}");

    public override ValueTask CloseAsync()
    {
        foreach (UringBuffer? buffer in _pooled)
        {
            buffer?.Dispose();
        }

        _file?.Handle.Dispose();
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        _file?.Dispose();
        return base.DisposeAsync();
    }
}

/// <summary>Positioned writes of one block each, from guarded memory or from registered pool buffers (<c>WRITE_FIXED</c>).</summary>
internal sealed class WriteScenario(bool fixedBuffers) : FaultScenario
{
    private readonly ReadOnlyMemory<byte>[] _buffers = new ReadOnlyMemory<byte>[Count];
    private readonly UringBuffer[] _pooled = new UringBuffer[Count];
    private PatternFile? _file;
    private byte[]? _content;

    public override IoUringOp[] Opcodes => [fixedBuffers ? IoUringOp.WriteFixed : IoUringOp.Write];

    public override bool Transfers => true;

    public override bool UsesFixedBuffers => fixedBuffers;

    public override Task SetupAsync(UringRuntime runtime, FaultPlan plan)
    {
        _file = new PatternFile();
        for (int i = 0; i < Count; i++)
        {
            Memory<byte> buffer;
            if (fixedBuffers)
            {
                _pooled[i] = runtime.Buffers!.Rent();
                buffer = _pooled[i].Memory[..BlockSize];
            }
            else
            {
                buffer = NewGuard(plan, BlockSize).Memory;
            }

            for (int k = 0; k < BlockSize; k++)
            {
                buffer.Span[k] = NewByte(((long)i * BlockSize) + k);
            }

            _buffers[i] = buffer;
        }

        return Task.CompletedTask;
    }

    public override async ValueTask<long> RunAsync(int i, CancellationToken cancellationToken)
    {
        await UringRandomAccess.WriteAsync(_file!.Handle, _buffers[i], (long)i * BlockSize, cancellationToken);
        return BlockSize;
    }

    public override void VerifySuccess(int i, Outcome expected, long result) =>
        AssertRegion(i, NewByte, "the written bytes");

    public override void VerifyNothingDone(int i) => AssertRegion(i, FileByte, "the file's bytes, untouched");

    private void AssertRegion(int i, Func<long, byte> pattern, string what)
    {
        _content ??= _file!.Content();
        Assert.That(_content, Has.Length.EqualTo(Count * BlockSize), "the file did not grow or shrink");
        for (long p = (long)i * BlockSize; p < (long)(i + 1) * BlockSize; p++)
        {
            if (_content[p] != pattern(p))
            {
                Assert.Fail($"write {i}: byte {p} is {_content[p]}, expected {what} ({pattern(p)})");
                return;
            }
        }
    }

    public override ValueTask CloseAsync()
    {
        foreach (UringBuffer? buffer in _pooled)
        {
            buffer?.Dispose();
        }

        _file?.Handle.Dispose();
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        _file?.Dispose();
        return base.DisposeAsync();
    }
}

/// <summary>Scatter reads of one block each into two guarded halves.</summary>
internal sealed class ReadVectorScenario : FaultScenario
{
    private readonly Memory<byte>[][] _segments = new Memory<byte>[Count][];
    private readonly byte[][] _data = new byte[Count][];
    private PatternFile? _file;

    public override IoUringOp[] Opcodes => [IoUringOp.Readv];

    public override bool Transfers => true;

    public override Task SetupAsync(UringRuntime runtime, FaultPlan plan)
    {
        _file = new PatternFile();
        for (int i = 0; i < Count; i++)
        {
            _segments[i] = [NewGuard(plan, BlockSize / 2).Memory, Memory<byte>.Empty, NewGuard(plan, BlockSize / 2).Memory];
        }

        return Task.CompletedTask;
    }

    public override async ValueTask<long> RunAsync(int i, CancellationToken cancellationToken)
    {
        long n = await UringRandomAccess.ReadAsync(_file!.Handle, _segments[i], (long)i * BlockSize, cancellationToken);
        _data[i] = [.. _segments[i][0].Span, .. _segments[i][2].Span];
        return n;
    }

    public override void VerifySuccess(int i, Outcome expected, long result) =>
        AssertRead(expected, result, _data[i], (long)i * BlockSize, $"scatter read {i}");

    public override ValueTask CloseAsync()
    {
        _file?.Handle.Dispose();
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        _file?.Dispose();
        return base.DisposeAsync();
    }
}

/// <summary>Gather writes of one block each from two guarded halves.</summary>
internal sealed class WriteVectorScenario : FaultScenario
{
    private readonly ReadOnlyMemory<byte>[][] _segments = new ReadOnlyMemory<byte>[Count][];
    private PatternFile? _file;
    private byte[]? _content;

    public override IoUringOp[] Opcodes => [IoUringOp.Writev];

    public override bool Transfers => true;

    public override Task SetupAsync(UringRuntime runtime, FaultPlan plan)
    {
        _file = new PatternFile();
        for (int i = 0; i < Count; i++)
        {
            Memory<byte> first = NewGuard(plan, BlockSize / 2).Memory;
            Memory<byte> second = NewGuard(plan, BlockSize / 2).Memory;
            for (int k = 0; k < BlockSize / 2; k++)
            {
                first.Span[k] = NewByte(((long)i * BlockSize) + k);
                second.Span[k] = NewByte(((long)i * BlockSize) + (BlockSize / 2) + k);
            }

            _segments[i] = [first, ReadOnlyMemory<byte>.Empty, second];
        }

        return Task.CompletedTask;
    }

    public override async ValueTask<long> RunAsync(int i, CancellationToken cancellationToken)
    {
        await UringRandomAccess.WriteAsync(_file!.Handle, _segments[i], (long)i * BlockSize, cancellationToken);
        return BlockSize;
    }

    public override void VerifySuccess(int i, Outcome expected, long result) => AssertRegion(i, NewByte, "the written bytes");

    public override void VerifyNothingDone(int i) => AssertRegion(i, FileByte, "the file's bytes, untouched");

    private void AssertRegion(int i, Func<long, byte> pattern, string what)
    {
        _content ??= _file!.Content();
        Assert.That(_content, Has.Length.EqualTo(Count * BlockSize), "the file did not grow or shrink");
        for (long p = (long)i * BlockSize; p < (long)(i + 1) * BlockSize; p++)
        {
            if (_content[p] != pattern(p))
            {
                Assert.Fail($"gather write {i}: byte {p} is {_content[p]}, expected {what} ({pattern(p)})");
                return;
            }
        }
    }

    public override ValueTask CloseAsync()
    {
        _file?.Handle.Dispose();
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        _file?.Dispose();
        return base.DisposeAsync();
    }
}

/// <summary><c>fsync</c> of one file, <see cref="FaultScenario.Count"/> times at once.</summary>
internal sealed class FsyncScenario : FaultScenario
{
    private PatternFile? _file;

    public override IoUringOp[] Opcodes => [IoUringOp.Fsync];

    public override Task SetupAsync(UringRuntime runtime, FaultPlan plan)
    {
        _file = new PatternFile();
        return Task.CompletedTask;
    }

    public override async ValueTask<long> RunAsync(int i, CancellationToken cancellationToken)
    {
        await UringRandomAccess.FlushToDiskAsync(_file!.Handle, cancellationToken);
        return 0;
    }

    public override void VerifySuccess(int i, Outcome expected, long result) => Assert.That(result, Is.Zero);

    public override ValueTask CloseAsync()
    {
        _file?.Handle.Dispose();
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        _file?.Dispose();
        return base.DisposeAsync();
    }
}

/// <summary>Opens (<c>OPENAT</c>) of one file through <see cref="UringFile.OpenAsync"/>; each file is disposed at once.</summary>
internal sealed class OpenAtScenario : FaultScenario
{
    private PatternFile? _file;

    public override IoUringOp[] Opcodes => [IoUringOp.OpenAt];

    public override Task SetupAsync(UringRuntime runtime, FaultPlan plan)
    {
        _file = new PatternFile();
        return Task.CompletedTask;
    }

    public override async ValueTask<long> RunAsync(int i, CancellationToken cancellationToken)
    {
        UringFile file = await UringFile.OpenAsync(_file!.Path, cancellationToken: cancellationToken);
        long length = file.Length;
        file.Dispose();
        return length;
    }

    public override void VerifySuccess(int i, Outcome expected, long result) => Assert.That(result, Is.EqualTo(Count * BlockSize));

    public override ValueTask CloseAsync()
    {
        _file?.Handle.Dispose();
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        // Every descriptor an open produced was closed: none left pointing at the file.
        string path = _file!.Path;
        int open = Directory.GetFiles("/proc/self/fd").Count(fd => new FileInfo(fd).LinkTarget == path);
        _file.Dispose();
        Assert.That(open, Is.Zero, "descriptors left open on the file");
        return base.DisposeAsync();
    }
}

/// <summary>Ring-timed delays (<c>TIMEOUT</c>) of 1 ms.</summary>
internal sealed class DelayScenario : FaultScenario
{
    public override IoUringOp[] Opcodes => [IoUringOp.Timeout];

    public override Task SetupAsync(UringRuntime runtime, FaultPlan plan) => Task.CompletedTask;

    public override async ValueTask<long> RunAsync(int i, CancellationToken cancellationToken)
    {
        await UringWorker.Current!.DelayAsync(TimeSpan.FromMilliseconds(1), cancellationToken);
        return 0;
    }

    public override void VerifySuccess(int i, Outcome expected, long result) => Assert.That(result, Is.Zero);
}
