using System.Globalization;

namespace UringKv.Tests;

/// <summary>
/// <c>--direct-reads</c>: values that are not in memory are read with O_DIRECT, through a second descriptor per
/// segment, as the record's span rounded out to the file's alignment; every size and offset gives the value written.
/// </summary>
[TestFixture]
public sealed class DirectReadTests
{
    // Sizes around the 512-byte and 4096-byte boundaries, and past the 16 KiB pooled buffer; each record shifts the
    // next one's offset, so the reads start and end at every kind of position within a block.
    private static readonly int[] s_sizes = [1, 20, 33, 100, 511, 512, 513, 4000, 4096, 4097, 5000, 12288, 16384, 20000, 70000];

    private static string Key(int i) => $"key:{i:D4}";

    private static string Value(int i, char fill) => string.Create(s_sizes[i % s_sizes.Length], (i, fill), static (span, state) =>
    {
        span.Fill(state.fill);
        string tag = state.i.ToString(CultureInfo.InvariantCulture);
        tag.AsSpan(0, Math.Min(tag.Length, span.Length)).CopyTo(span);
    });

    [Test]
    public async Task EverySizeAndOffset_ReadsTheValueWritten_ThroughAnODirectDescriptor_AlsoAfterARestart()
    {
        using var folder = new TempFolder();
        int count = s_sizes.Length * 3;
        int fromDisk = Enumerable.Range(0, count).Count(i => s_sizes[i % s_sizes.Length] > 32);
        await using (var harness = new StoreHarness(folder.Path, segmentSize: 256 * 1024, directReads: true))
        {
            await harness.OpenAsync();
            for (int i = 0; i < count; i++)
            {
                await harness.SetAsync(Key(i), Value(i, 'a'));
            }

            // Overwritten values: the index points at the newer records, which the reads must find.
            for (int i = 0; i < count; i += 4)
            {
                await harness.SetAsync(Key(i), Value(i, 'b'));
            }

            Assert.That(harness.SegmentFiles(), Has.Length.GreaterThan(1), "the records should span several segments");
            Assert.That(DirectDescriptors(harness.ShardDirectory), Is.Zero, "no read yet, no O_DIRECT descriptor");
            for (int i = 0; i < count; i++)
            {
                Assert.That(await harness.GetAsync(Key(i)), Is.EqualTo(Value(i, i % 4 == 0 ? 'b' : 'a')), $"key {i}, {s_sizes[i % s_sizes.Length]} bytes");
            }

            Assert.That(harness.Store!.Statistics.DiskReads, Is.EqualTo(fromDisk));
            Assert.That(DirectDescriptors(harness.ShardDirectory), Is.EqualTo(harness.SegmentFiles().Length));
            await harness.CloseAsync();
            Assert.That(DirectDescriptors(harness.ShardDirectory), Is.Zero, "closing the shard closes its O_DIRECT descriptors");
        }

        await using (var harness = new StoreHarness(folder.Path, segmentSize: 256 * 1024, directReads: true))
        {
            await harness.OpenAsync();
            for (int i = count - 1; i >= 0; i--)
            {
                Assert.That(await harness.GetAsync(Key(i)), Is.EqualTo(Value(i, i % 4 == 0 ? 'b' : 'a')), $"key {i} after the restart");
            }

            Assert.That(harness.Store!.Statistics.DiskReads, Is.EqualTo(fromDisk));
            Assert.That(DirectDescriptors(harness.ShardDirectory), Is.GreaterThan(0));
        }
    }

    [Test]
    public async Task ACompactedSegment_ClosesItsODirectDescriptor_AndTheValuesMoveWithTheirRecords()
    {
        using var folder = new TempFolder();
        const int count = 40;
        await using var harness = new StoreHarness(folder.Path, segmentSize: 64 * 1024, directReads: true);
        await harness.OpenAsync();
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < count; i++)
            {
                await harness.SetAsync(Key(i), Value(i, (char)('a' + round)));
            }

            // Read every value, so that every segment written so far has its O_DIRECT descriptor.
            for (int i = 0; i < count; i++)
            {
                Assert.That(await harness.GetAsync(Key(i)), Is.EqualTo(Value(i, (char)('a' + round))));
            }
        }

        string[] before = harness.SegmentFiles();
        int compacted = await harness.RunAsync(() => harness.Store!.CompactAsync());
        Assert.That(compacted, Is.GreaterThan(0), "the overwritten segments should have been compacted");
        string[] gone = before.Except(harness.SegmentFiles()).ToArray();
        Assert.That(gone, Is.Not.Empty);
        Assert.That(gone.Sum(DirectDescriptorsOf), Is.Zero, "a deleted segment keeps no O_DIRECT descriptor");
        for (int i = 0; i < count; i++)
        {
            Assert.That(await harness.GetAsync(Key(i)), Is.EqualTo(Value(i, 'c')), $"key {i} after the compaction");
        }
    }

    // Descriptors of this process open on files of the folder with O_DIRECT (040000 in /proc/self/fdinfo's octal flags).
    private static int DirectDescriptors(string folder) => Directory.GetFiles(folder, "*.log").Sum(DirectDescriptorsOf);

    private static int DirectDescriptorsOf(string path)
    {
        int found = 0;
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? flags;
            try
            {
                // A deleted file's link reads "PATH (deleted)": still counted.
                if (new FileInfo(fd).LinkTarget is not string target || !target.StartsWith(path, StringComparison.Ordinal))
                {
                    continue;
                }

                flags = File.ReadLines($"/proc/self/fdinfo/{Path.GetFileName(fd)}").FirstOrDefault(l => l.StartsWith("flags:", StringComparison.Ordinal));
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }

            if (flags is not null && (Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & 0x4000) != 0)
            {
                found++;
            }
        }

        return found;
    }
}
