using UringScheduler.Bench.Data;

namespace UringScheduler.Bench.Tests;

public class SizeParserTests
{
    [TestCase("4096", 4096L)]
    [TestCase("64K", 64L << 10)]
    [TestCase("64k", 64L << 10)]
    [TestCase("64KiB", 64L << 10)]
    [TestCase("64KB", 64L << 10)]
    [TestCase("256M", 256L << 20)]
    [TestCase("1G", 1L << 30)]
    [TestCase("2T", 2L << 40)]
    [TestCase(" 128M ", 128L << 20)]
    [TestCase("512B", 512L)]
    public void Parses(string text, long expected)
    {
        Assert.That(SizeParser.TryParse(text, out long bytes), Is.True);
        Assert.That(bytes, Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase(" ")]
    [TestCase(null)]
    [TestCase("abc")]
    [TestCase("12Q")]
    [TestCase("-1M")]
    [TestCase("0")]
    [TestCase("1.5G")]
    [TestCase("M")]
    [TestCase("99999999999999999999")]
    [TestCase("9999999999T")]
    public void RejectsWhatIsNotASize(string? text)
    {
        Assert.That(SizeParser.TryParse(text, out _), Is.False);
    }

    [TestCase(128L << 20, "128M")]
    [TestCase(1L << 30, "1G")]
    [TestCase(64L << 10, "64K")]
    [TestCase(1000L, "1000")]
    [TestCase((1L << 20) + 4096, "1028K")]
    public void FormatsExactly(long bytes, string expected)
    {
        Assert.That(SizeParser.Format(bytes), Is.EqualTo(expected));
        Assert.That(SizeParser.TryParse(expected, out long back) && back == bytes, Is.True, "format and parse round-trip");
    }
}
