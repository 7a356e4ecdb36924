using UringScheduler.Bench.Data;

namespace UringScheduler.Bench.Tests;

public class PatternTests
{
    [TestCase(512)]
    [TestCase(4096)]
    [TestCase(65536)]
    public void FilledBlockVerifies(int blockSize)
    {
        byte[] block = new byte[blockSize];
        Pattern.Fill(block, 3, 12345);
        Assert.That(Pattern.Verify(block, 3, 12345), Is.True);
    }

    [Test]
    public void EveryWordMatchesWord()
    {
        byte[] block = new byte[4096];
        Pattern.Fill(block, 1, 7);
        for (int i = 0; i < block.Length / 8; i++)
        {
            Assert.That(BitConverter.ToUInt64(block, i * 8), Is.EqualTo(Pattern.Word(1, 7, i)));
        }
    }

    // The five checked words of a 4 KiB block are 0, 127, 255, 384 and 511 (bytes 0, 1016, 2040, 3072, 4088).
    [TestCase(0)]
    [TestCase(1016 + 3)]
    [TestCase(2040 + 7)]
    [TestCase(3072)]
    [TestCase(4095)]
    public void CorruptedByteInACheckedWordIsDetected(int offset)
    {
        byte[] block = new byte[4096];
        Pattern.Fill(block, 0, 42);
        block[offset] ^= 0x01;
        Assert.That(Pattern.Verify(block, 0, 42), Is.False);
    }

    [Test]
    public void ZeroedBlockIsDetected()
    {
        Assert.That(Pattern.Verify(new byte[4096], 0, 0), Is.False);
    }

    [Test]
    public void BlockFromAnotherPlaceIsDetected()
    {
        byte[] block = new byte[4096];
        Pattern.Fill(block, 2, 100);
        Assert.Multiple(() =>
        {
            Assert.That(Pattern.Verify(block, 2, 101), Is.False, "neighbouring block");
            Assert.That(Pattern.Verify(block, 3, 100), Is.False, "same block of another file");
        });
    }

    [Test]
    public void TornBlockIsDetected()
    {
        // First half from the right block, second half from another: the last word gives it away.
        byte[] block = new byte[4096];
        byte[] other = new byte[4096];
        Pattern.Fill(block, 0, 5);
        Pattern.Fill(other, 0, 6);
        other.AsSpan(2048).CopyTo(block.AsSpan(2048));
        Assert.That(Pattern.Verify(block, 0, 5), Is.False);
    }
}
