using UringScheduler.Bench.Data;

namespace UringScheduler.Bench.Tests;

public class DataSetTests
{
    [Test]
    public void GeneratesPatternFilesAndManifest()
    {
        using TempFolder temp = new();
        DataSetSpec spec = new(temp.Combine("data"), 2, 64 << 10, 4096);
        DataSet dataSet = DataSet.OpenOrCreate(spec);

        Assert.That(dataSet.Generated, Is.True);
        Assert.That(dataSet.Paths, Has.Count.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(spec.Directory, Manifest.FileName)), Is.True);
        for (int file = 0; file < 2; file++)
        {
            byte[] bytes = File.ReadAllBytes(dataSet.Paths[file]);
            Assert.That(bytes, Has.Length.EqualTo(64 << 10));
            for (int block = 0; block < 16; block++)
            {
                Assert.That(Pattern.Verify(bytes.AsSpan(block * 4096, 4096), file, block), Is.True, $"file {file} block {block}");
            }
        }
    }

    [Test]
    public void ReusesAValidFolder()
    {
        using TempFolder temp = new();
        DataSetSpec spec = new(temp.Combine("data"), 1, 16 << 10, 4096);
        DataSet.OpenOrCreate(spec);
        DateTime written = File.GetLastWriteTimeUtc(Path.Combine(spec.Directory, DataSetSpec.FileName(0)));

        DataSet again = DataSet.OpenOrCreate(spec);

        Assert.That(again.Generated, Is.False);
        Assert.That(File.GetLastWriteTimeUtc(again.Paths[0]), Is.EqualTo(written));
    }

    [Test]
    public void RegeneratesAFolderWithoutManifest()
    {
        // What an interrupted generation leaves: data files, no manifest.
        using TempFolder temp = new();
        DataSetSpec spec = new(temp.Combine("data"), 1, 16 << 10, 4096);
        Directory.CreateDirectory(spec.Directory);
        File.WriteAllBytes(Path.Combine(spec.Directory, DataSetSpec.FileName(0)), new byte[16 << 10]);

        DataSet dataSet = DataSet.OpenOrCreate(spec);

        Assert.That(dataSet.Generated, Is.True);
        Assert.That(Pattern.Verify(File.ReadAllBytes(dataSet.Paths[0]).AsSpan(0, 4096), 0, 0), Is.True);
    }

    [Test]
    public void RegeneratesWhenAFileIsShortOrTheShapeDiffers()
    {
        using TempFolder temp = new();
        DataSetSpec spec = new(temp.Combine("data"), 2, 16 << 10, 4096);
        DataSet.OpenOrCreate(spec);
        using (FileStream stream = new(Path.Combine(spec.Directory, DataSetSpec.FileName(1)), FileMode.Open))
        {
            stream.SetLength(4096);
        }

        Assert.That(DataSet.OpenOrCreate(spec).Generated, Is.True, "truncated file");
        Assert.That(DataSet.OpenOrCreate(spec with { BlockSize = 8192 }).Generated, Is.True, "other block size");
        Assert.That(DataSet.OpenOrCreate(spec with { BlockSize = 8192 }).Generated, Is.False, "then reused");
    }

    [Test]
    public void DefaultDirectoryIsNamedAfterTheShape()
    {
        Assert.That(Path.GetFileName(DataSetSpec.DefaultDirectory(8, 128L << 20, 4096)), Is.EqualTo("uring-bench-8x128M-4096"));
    }

    [Test]
    public void FreeSpaceIsKnownForAFolderNotYetCreated()
    {
        using TempFolder temp = new();
        Assert.That(DiskSpace.Available(temp.Combine("not", "yet", "there")), Is.GreaterThan(0));
    }
}

public class DefaultSizingTests
{
    [TestCase(24L << 30, 80L << 30, 128L << 20)]   // this project's machines: the seed-like 8 x 128 MiB
    [TestCase(64L << 30, 0L, 128L << 20)]          // never more than 1 GiB in all
    [TestCase(4L << 30, 80L << 30, 32L << 20)]     // 4 GiB of memory: 256 MiB in all
    [TestCase(1L << 30, 80L << 30, 16L << 20)]     // the floor
    [TestCase(24L << 30, 1L << 30, 32L << 20)]     // 1 GiB free disk: at most a quarter of it
    [TestCase(0L, 0L, 128L << 20)]                 // nothing known: the default
    public void SizesTheDefaultDataSetForTheMachine(long memory, long freeDisk, long expected)
    {
        Assert.That(DefaultSizing.FileSizeFor(memory, freeDisk), Is.EqualTo(expected));
    }
}
