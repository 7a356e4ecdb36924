using System.Diagnostics;
using System.Runtime.InteropServices;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Measurement;

namespace UringScheduler.Bench.Methods;

/// <summary>
/// The state of one closed read loop, shared by every method: picks the next random block, and after the read records
/// its latency, checks it, and says whether to go on. Methods only supply the read itself.
/// </summary>
internal sealed class ReadLoop
{
    private readonly LoopRecorder _recorder;
    private readonly MeasurementClock _clock;
    private readonly int _fileCount;
    private readonly long _blocksPerFile;
    private readonly int _blockSize;
    private readonly bool _verify;

    // What changes on every read, in a padded slot: the loops are allocated together and adjacent loops run on
    // different workers (or threads), so unpadded they would share cache lines and slow each other down (false sharing).
    private HotState _hot;

    public ReadLoop(int index, CaseContext context, Memory<byte> buffer, LoopRecorder recorder, MeasurementClock clock)
    {
        _recorder = recorder;
        _clock = clock;
        _fileCount = context.DataSet.Spec.FileCount;
        _blocksPerFile = context.DataSet.Spec.BlocksPerFile;
        _blockSize = context.DataSet.Spec.BlockSize;
        _verify = context.Verify;
        _hot.Random = new FastRandom((ulong)index + 1);
        Buffer = buffer;
    }

    public Memory<byte> Buffer { get; }

    /// <summary>One loop per recorder, loop <c>i</c> reading into <paramref name="bufferOf"/>(<c>i</c>).</summary>
    public static ReadLoop[] CreateAll(CaseContext context, Func<int, Memory<byte>> bufferOf, IReadOnlyList<LoopRecorder> recorders, MeasurementClock clock)
    {
        var loops = new ReadLoop[recorders.Count];
        for (int i = 0; i < loops.Length; i++)
        {
            loops[i] = new ReadLoop(i, context, bufferOf(i), recorders[i], clock);
        }

        return loops;
    }

    public int FileIndex => _hot.FileIndex;

    public long BlockIndex => _hot.BlockIndex;

    public long Offset => BlockIndex * _blockSize;

    /// <summary>Picks the next block and returns the start timestamp of its read.</summary>
    /// <remarks>
    /// Without verification the start is the previous read's end, so the latency also counts the recording of the
    /// previous read and the pick of this block (a few ns; never less than the read itself).
    /// </remarks>
    public long Next()
    {
        _hot.FileIndex = (int)_hot.Random.NextBelow(_fileCount);
        _hot.BlockIndex = _hot.Random.NextBelow(_blocksPerFile);
        long start = _hot.ChainedStart;
        _hot.ChainedStart = 0;
        return start != 0 ? start : Stopwatch.GetTimestamp();
    }

    /// <summary>Ends a read of <paramref name="bytesRead"/> bytes started at <paramref name="start"/>; false when time is up.</summary>
    public bool Complete(long start, int bytesRead)
    {
        long end = Stopwatch.GetTimestamp();
        _recorder.Record(start, end);

        // Checked after the end timestamp: verification is the benchmark's cost, not the read's.
        if (bytesRead != _blockSize || (_verify && !Pattern.Verify(Buffer.Span, FileIndex, BlockIndex)))
        {
            _recorder.RecordError();
        }
        else if (!_verify)
        {
            _hot.ChainedStart = end;
        }

        return !_clock.IsOver(end);
    }

    /// <summary>Ends a read that threw; false when time is up.</summary>
    public bool Fail()
    {
        _recorder.RecordError();
        return !_clock.IsOver(Stopwatch.GetTimestamp());
    }

    // The fields sit 64 bytes in from either end, so nothing outside the struct shares their cache line.
    [StructLayout(LayoutKind.Explicit, Size = 160)]
    private struct HotState
    {
        // The previous read's end timestamp, reused as the next read's start when nothing but the pick of the next
        // block runs in between (no verification). A clock read costs about 20 ns here, a tenth of a batched NOP.
        [FieldOffset(64)]
        public long ChainedStart;

        [FieldOffset(72)]
        public long BlockIndex;

        [FieldOffset(80)]
        public FastRandom Random;

        [FieldOffset(88)]
        public int FileIndex;
    }
}
