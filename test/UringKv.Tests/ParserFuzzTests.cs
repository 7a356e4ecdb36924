using System.Text;
using UringKv.Protocol;

namespace UringKv.Tests;

/// <summary>
/// A seeded mutation fuzz of the request parser: valid frames, mutated frames and random bytes, whole and in pieces.
/// Only results or protocol errors may come out, and nothing is allocated beyond what the input itself justifies.
/// </summary>
[TestFixture]
public sealed class ParserFuzzTests
{
    private const int Frames = 120_000;

    [Test]
    public void RandomAndMutatedFrames_GiveResultsOrProtocolErrorsOnly()
    {
        var random = new Random(20261128);
        int complete = 0;
        int errors = 0;
        var parser = new RespParser();
        _ = parser.TryParse("PING\r\n"u8, out _, out _); // the inline scratch buffer is allocated once per parser
        for (int n = 0; n < Frames; n++)
        {
            byte[] frame = MakeFrame(random);
            bool inPieces = random.Next(10) == 0;
            (int c, int e) = Feed(parser, frame, inPieces ? random : null);
            complete += c;
            errors += e;
        }

        TestContext.Out.WriteLine($"{Frames} frames: {complete} requests parsed, {errors} protocol errors");
        Assert.That(complete, Is.GreaterThan(Frames / 4));
        Assert.That(errors, Is.GreaterThan(Frames / 20));
    }

    [TestCase("*1048576\r\n")]
    [TestCase("*1\r\n$16777216\r\n")]
    [TestCase("*3\r\n$16777216\r\nab")]
    public void DeclaredSizes_AllocateNothingUpFront(string frame)
    {
        var parser = new RespParser();
        byte[] bytes = Encoding.ASCII.GetBytes(frame);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ParseStatus status = parser.TryParse(bytes, out _, out int needed);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(status, Is.EqualTo(ParseStatus.Incomplete));
        Assert.That(allocated, Is.LessThan(1024));
        Assert.That(needed, Is.LessThanOrEqualTo(RespLimits.MaxRequestBytes));
    }

    // Feeds a frame as a connection does (everything buffered so far, from the start of the current request) and
    // checks every outcome; returns the requests parsed and the protocol errors seen.
    private static (int Complete, int Errors) Feed(RespParser parser, byte[] frame, Random? pieces)
    {
        int complete = 0;
        int start = 0;
        int available = pieces is null ? frame.Length : Math.Min(frame.Length, 1 + pieces.Next(8));
        while (true)
        {
            ReadOnlySpan<byte> data = frame.AsSpan(start, available - start);
            long before = GC.GetAllocatedBytesForCurrentThread();
            ParseStatus status;
            int consumed;
            int needed;
            try
            {
                status = parser.TryParse(data, out consumed, out needed);
            }
            catch (Exception e)
            {
                Assert.Fail($"the parser threw {e.GetType().Name} on {Show(frame)}: {e.Message}");
                throw;
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.That(allocated, Is.LessThanOrEqualTo(1024 + 16L * frame.Length), () => $"allocated {allocated} bytes on a {frame.Length}-byte frame {Show(frame)}");
            switch (status)
            {
                case ParseStatus.Complete:
                    Assert.That(consumed, Is.InRange(1, data.Length));
                    for (int i = 0; i < parser.ArgumentCount; i++)
                    {
                        _ = parser.GetArgument(data, i).Length;
                    }

                    complete++;
                    start += consumed;
                    break;
                case ParseStatus.Incomplete:
                    Assert.That(needed, Is.GreaterThan(data.Length).And.LessThanOrEqualTo(RespLimits.MaxRequestBytes));
                    if (available == frame.Length)
                    {
                        // The frame ended mid-request, as when its connection closes.
                        parser.Reset();
                        return (complete, 0);
                    }

                    available = pieces is null ? frame.Length : Math.Min(frame.Length, available + 1 + pieces.Next(16));
                    break;
                default:
                    Assert.That(parser.Error, Is.Not.Null.And.Not.Empty);
                    return (complete, 1);
            }

            if (start == frame.Length)
            {
                return (complete, 0);
            }

            available = Math.Max(available, start);
            if (available == start)
            {
                available = pieces is null ? frame.Length : Math.Min(frame.Length, start + 1 + pieces.Next(16));
            }
        }
    }

    private static byte[] MakeFrame(Random random)
    {
        switch (random.Next(6))
        {
            case 0:
            {
                byte[] bytes = new byte[random.Next(1, 64)];
                random.NextBytes(bytes);
                return bytes;
            }

            case 1:
                return Encoding.ASCII.GetBytes(Inline(random));
            default:
            {
                byte[] valid = Valid(random);
                return random.Next(3) == 0 ? valid : Mutate(valid, random);
            }
        }
    }

    private static byte[] Valid(Random random)
    {
        var stream = new MemoryStream();
        for (int commands = random.Next(1, 4); commands > 0; commands--)
        {
            int args = random.Next(1, 5);
            stream.Write(Encoding.ASCII.GetBytes($"*{args}\r\n"));
            for (int i = 0; i < args; i++)
            {
                byte[] arg = new byte[random.Next(0, 20)];
                random.NextBytes(arg);
                stream.Write(Encoding.ASCII.GetBytes($"${arg.Length}\r\n"));
                stream.Write(arg);
                stream.Write("\r\n"u8);
            }
        }

        return stream.ToArray();
    }

    private static string Inline(Random random)
    {
        string[] words = ["PING", "GET", "\"quoted word\"", "'single'", "\"esc\\x41\\n\"", "\"open", "x\"y", "SET", "  ", "\t"];
        var line = new StringBuilder();
        for (int i = random.Next(0, 6); i > 0; i--)
        {
            line.Append(words[random.Next(words.Length)]).Append(' ');
        }

        return line.Append(random.Next(2) == 0 ? "\r\n" : "\n").ToString();
    }

    private static byte[] Mutate(byte[] frame, Random random)
    {
        var bytes = new List<byte>(frame);
        string[] numbers = ["-1", "0", "99999999999999999999", "16777216", "16777217", "1048577", "2147483648", "-9223372036854775808", "+5", "05", ""];
        for (int m = random.Next(1, 4); m > 0; m--)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes[Math.Min(at, bytes.Count - 1)] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.Insert(at, (byte)"*$\r\n0123456789-"[random.Next(15)]);
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveAt(Math.Min(at, bytes.Count - 1));
                    break;
                case 3:
                    bytes.InsertRange(at, Encoding.ASCII.GetBytes((random.Next(2) == 0 ? "*" : "$") + numbers[random.Next(numbers.Length)] + "\r\n"));
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at); // truncated
                    break;
            }
        }

        return bytes.Count == 0 ? [(byte)'*'] : [.. bytes];
    }

    private static string Show(byte[] frame) =>
        "\"" + string.Concat(frame.Take(80).Select(b => b is >= 32 and < 127 ? ((char)b).ToString() : $"\\x{b:x2}")) + "\"";
}
