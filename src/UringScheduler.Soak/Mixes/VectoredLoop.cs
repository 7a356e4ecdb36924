namespace UringScheduler.Soak.Mixes;

/// <summary>
/// Scatter/gather: a gather write of a random list of segments (empty ones included) into the loop's scratch region,
/// read back by a scatter read cut differently; and scatter reads of the data files, reaching past their end.
/// </summary>
internal sealed class VectoredLoop(SoakContext context, UringWorker worker) : SoakLoop(context, worker)
{
    private readonly byte[] _source = new byte[65536];
    private readonly byte[] _target = new byte[65536];
    private readonly List<ReadOnlyMemory<byte>> _gather = new(16);
    private readonly List<Memory<byte>> _scatter = new(16);
    private int _region;
    private long _generation;

    public override ValueTask StartAsync()
    {
        _region = Data.TakeRegion();
        return default;
    }

    public override async Task StepAsync()
    {
        if (Random.Next(2) == 0)
        {
            Kind = "vectored.gather-write+scatter-read";
            long regionStart = DataSet.RegionStart(_region);
            ulong key = Pattern.RegionKey(_region, ++_generation);
            int length = Random.Next(0, _source.Length + 1);
            long offset = Random.Next(DataSet.RegionSize - length + 1);
            Pattern.Fill(_source.AsSpan(0, length), key, offset);
            _gather.Clear();
            foreach ((int start, int count) in Cut(length))
            {
                _gather.Add(_source.AsMemory(start, count));
            }

            await UringRandomAccess.WriteAsync(Data.ScratchHandle, _gather, regionStart + offset);
            CheckThread(Kind);
            _target.AsSpan(0, length).Clear();
            _scatter.Clear();
            foreach ((int start, int count) in Cut(length))
            {
                _scatter.Add(_target.AsMemory(start, count));
            }

            long n = await UringRandomAccess.ReadAsync(Data.ScratchHandle, _scatter, regionStart + offset);
            Count(2);
            CheckRead($"region {_region} generation {_generation} @{offset}+{length} in {_gather.Count}/{_scatter.Count} segments", n, length, _target.AsSpan(0, (int)Math.Clamp(n, 0, length)), key, offset);
        }
        else
        {
            Kind = "vectored.scatter-read";
            int file = NextFile();
            long offset = AnyOffset();
            int length = Random.Next(0, _target.Length + 1);
            _scatter.Clear();
            foreach ((int start, int count) in Cut(length))
            {
                _scatter.Add(_target.AsMemory(start, count));
            }

            long n = await UringRandomAccess.ReadAsync(Data.DataHandles[file], _scatter, offset);
            Count();
            CheckRead($"file {file} @{offset}+{length} in {_scatter.Count} segments", n, DataSet.Expected(offset, length), _target.AsSpan(0, (int)Math.Clamp(n, 0, length)), DataSet.KeyOf(file), offset);
        }

        CheckThread(Kind);
    }

    /// <summary>Cuts [0, length) into 1 to 12 consecutive segments at random points (equal points give empty segments).</summary>
    private IEnumerable<(int Start, int Count)> Cut(int length)
    {
        int pieces = Random.Next(1, 13);
        int[] points = new int[pieces + 1];
        for (int i = 1; i < pieces; i++)
        {
            points[i] = Random.Next(length + 1);
        }

        points[pieces] = length;
        Array.Sort(points, 1, pieces - 1);
        for (int i = 0; i < pieces; i++)
        {
            yield return (points[i], points[i + 1] - points[i]);
        }
    }
}
