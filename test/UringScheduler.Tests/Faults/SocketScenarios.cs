using System.Net.Sockets;
using UringScheduler.Native;

namespace UringScheduler.Tests.Faults;

/// <summary>One receive per connection into guarded memory; the peer has sent a block before it is issued.</summary>
internal sealed class ReceiveScenario : FaultScenario
{
    private readonly SocketPairs _pairs = new();
    private readonly Memory<byte>[] _buffers = new Memory<byte>[Count];
    private readonly byte[][] _data = new byte[Count][];

    public override IoUringOp[] Opcodes => [IoUringOp.Recv];

    public override bool Transfers => true;

    public override async Task SetupAsync(UringRuntime runtime, FaultPlan plan)
    {
        await _pairs.OpenAsync(runtime);
        for (int i = 0; i < Count; i++)
        {
            _buffers[i] = NewGuard(plan, BlockSize).Memory;
            byte[] block = new byte[BlockSize];
            for (int k = 0; k < BlockSize; k++)
            {
                block[k] = FileByte(((long)i * BlockSize) + k);
            }

            Assert.That(_pairs.Peers[i].Send(block), Is.EqualTo(BlockSize));
        }
    }

    public override async ValueTask<long> RunAsync(int i, CancellationToken cancellationToken)
    {
        int n = await _pairs.Uring[i].ReceiveAsync(_buffers[i], cancellationToken);
        _data[i] = _buffers[i].Span[..n].ToArray();
        return n;
    }

    public override void VerifySuccess(int i, Outcome expected, long result) =>
        AssertRead(expected, result, _data[i], (long)i * BlockSize, $"receive {i}");

    public override ValueTask CloseAsync() => _pairs.DisposeAsync();
}

/// <summary>One send of a block per connection from guarded memory; the peer must get exactly that block, once.</summary>
internal sealed class SendScenario : FaultScenario
{
    private readonly SocketPairs _pairs = new();
    private readonly Memory<byte>[] _buffers = new Memory<byte>[Count];
    private readonly byte[][] _received = new byte[Count][];

    public override IoUringOp[] Opcodes => [IoUringOp.Send];

    public override bool Transfers => true;

    public override async Task SetupAsync(UringRuntime runtime, FaultPlan plan)
    {
        await _pairs.OpenAsync(runtime);
        for (int i = 0; i < Count; i++)
        {
            _buffers[i] = NewGuard(plan, BlockSize).Memory;
            for (int k = 0; k < BlockSize; k++)
            {
                _buffers[i].Span[k] = NewByte(((long)i * BlockSize) + k);
            }
        }
    }

    public override async ValueTask<long> RunAsync(int i, CancellationToken cancellationToken) =>
        await _pairs.Uring[i].SendAsync(_buffers[i], cancellationToken);

    public override void VerifySuccess(int i, Outcome expected, long result)
    {
        Assert.That(result, Is.EqualTo(BlockSize), $"send {i} reports every byte sent");
        byte[] received = _received[i];
        Assert.That(received, Has.Length.EqualTo(BlockSize), $"send {i}: the peer got the block exactly once");
        for (int k = 0; k < BlockSize; k++)
        {
            if (received[k] != NewByte(((long)i * BlockSize) + k))
            {
                Assert.Fail($"send {i}: byte {k} is {received[k]}, expected {NewByte(((long)i * BlockSize) + k)}");
                return;
            }
        }
    }

    public override void VerifyNothingDone(int i) => Assert.That(_received[i], Is.Empty, $"send {i} was cancelled: the peer got nothing");

    public override async ValueTask CloseAsync()
    {
        // The peers read until the end of the stream: closing our side first makes that end come.
        foreach (UringSocket socket in _pairs.Uring)
        {
            await socket.DisposeAsync();
        }

        for (int i = 0; i < Count; i++)
        {
            _received[i] = ReadToEnd(_pairs.Peers[i]);
        }

        await _pairs.DisposeAsync();
    }

    private static byte[] ReadToEnd(Socket peer)
    {
        peer.ReceiveTimeout = 10_000;
        var all = new MemoryStream();
        byte[] chunk = new byte[BlockSize * 2];
        int n;
        while ((n = peer.Receive(chunk)) > 0)
        {
            all.Write(chunk, 0, n);
        }

        return all.ToArray();
    }
}
