using System.Net;
using System.Net.Sockets;
using System.Text;

namespace UringKv.Tests;

/// <summary>A raw RESP client over a socket: sends bytes, reads whole replies, and tells when the server closed.</summary>
internal sealed class RespConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    public RespConnection(EndPoint endPoint)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 10_000 };
        _socket.Connect(endPoint);
    }

    public static byte[] Encode(params string[] args) => Encode(args.Select(Encoding.UTF8.GetBytes).ToArray());

    public static byte[] Encode(params byte[][] args)
    {
        var stream = new MemoryStream();
        stream.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (byte[] arg in args)
        {
            stream.Write(Encoding.ASCII.GetBytes($"${arg.Length}\r\n"));
            stream.Write(arg);
            stream.Write("\r\n"u8);
        }

        return stream.ToArray();
    }

    public void Send(byte[] bytes) => _socket.Send(bytes);

    public void Send(string text) => _socket.Send(Encoding.UTF8.GetBytes(text));

    /// <summary>Sends one command and returns its reply, rendered as text (see <see cref="ReadReply"/>).</summary>
    public string Call(params string[] args)
    {
        Send(Encode(args));
        return ReadReply();
    }

    /// <summary>
    /// Reads one reply: "+OK", "-ERR ...", ":5", "$hello" (bulk), "$nil", "*[a, b]" (arrays, items rendered the same way).
    /// </summary>
    public string ReadReply()
    {
        string line = ReadLine();
        switch (line[0])
        {
            case '+':
            case '-':
            case ':':
                return line;
            case '$':
                int length = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return "$nil";
                }

                byte[] data = ReadExactly(length + 2);
                return "$" + Encoding.UTF8.GetString(data, 0, length);
            case '*':
                int count = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return "*nil";
                }

                var items = new List<string>();
                for (int i = 0; i < count; i++)
                {
                    items.Add(ReadReply());
                }

                return "*[" + string.Join(", ", items) + "]";
            default:
                throw new InvalidDataException($"not a RESP reply: {line}");
        }
    }

    /// <summary>True when the server closed the connection (reads end of stream) within the timeout.</summary>
    public bool IsClosedByServer()
    {
        try
        {
            if (_end > _start)
            {
                return false;
            }

            return _socket.Receive(_buffer) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    private string ReadLine()
    {
        var line = new List<byte>();
        while (true)
        {
            byte b = ReadByte();
            if (b == '\r')
            {
                ReadByte();
                return Encoding.UTF8.GetString(line.ToArray());
            }

            line.Add(b);
        }
    }

    private byte[] ReadExactly(int count)
    {
        byte[] result = new byte[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = ReadByte();
        }

        return result;
    }

    private byte ReadByte()
    {
        if (_start == _end)
        {
            _start = 0;
            _end = _socket.Receive(_buffer);
            if (_end == 0)
            {
                throw new EndOfStreamException("the server closed the connection");
            }
        }

        return _buffer[_start++];
    }

    public void Dispose() => _socket.Dispose();
}
