using System.Globalization;

namespace UringScheduler.IoScheduling;

/// <summary>
/// A whole block device as the kernel describes it in sysfs: the unit whose capacity the I/O scheduler bounds. Files
/// on a partition belong to the disk that holds it. One instance per device in the process, numbered densely.
/// </summary>
internal sealed class BlockDevice
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<ulong, BlockDevice?> s_byNumber = [];
    private static int s_count;

    private BlockDevice(string name, int major, int minor, int requestQueueDepth, int hardwareQueues, int index)
    {
        Name = name;
        Major = major;
        Minor = minor;
        RequestQueueDepth = requestQueueDepth;
        HardwareQueues = hardwareQueues;
        Index = index;
    }

    /// <summary>The disk's kernel name (<c>vda</c>, <c>nvme0n1</c>, <c>sda</c>).</summary>
    public string Name { get; }

    public int Major { get; }

    public int Minor { get; }

    /// <summary><c>queue/nr_requests</c>: the requests the block layer holds per hardware queue before a submitter waits for a tag.</summary>
    public int RequestQueueDepth { get; }

    /// <summary>The hardware queues (<c>mq/*</c>); 1 for a device without blk-mq.</summary>
    public int HardwareQueues { get; }

    /// <summary>Dense number of the device in the process, for per-device arrays.</summary>
    public int Index { get; }

    /// <summary>The capacity used when none is configured: half of what the block layer queues before a submitter blocks.</summary>
    public int DefaultCapacity => Math.Max(1, RequestQueueDepth * HardwareQueues / 2);

    /// <summary>
    /// The whole device behind <paramref name="deviceNumber"/> (a file's <c>st_dev</c>, or a block special file's
    /// <c>st_rdev</c>), or null when it is not a block device sysfs knows (tmpfs, overlay and other anonymous devices).
    /// </summary>
    public static BlockDevice? Of(ulong deviceNumber)
    {
        lock (s_lock)
        {
            if (!s_byNumber.TryGetValue(deviceNumber, out BlockDevice? device))
            {
                device = Read(deviceNumber);
                s_byNumber[deviceNumber] = device;
            }

            return device;
        }
    }

    /// <summary>Test seam: a device that exists only in the process, for files attributed to it (<c>FileProfile.Attribute</c>).</summary>
    internal static BlockDevice CreateSynthetic(string name, int requestQueueDepth)
    {
        lock (s_lock)
        {
            return new BlockDevice(name, 0, 0, requestQueueDepth, 1, s_count++);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Major}:{Minor})";

    // dev_t as glibc encodes it (gnu_dev_major/gnu_dev_minor).
    internal static int MajorOf(ulong dev) => (int)(((dev >> 8) & 0xfff) | ((dev >> 32) & 0xfffff000));

    internal static int MinorOf(ulong dev) => (int)((dev & 0xff) | ((dev >> 12) & 0xffffff00));

    private static BlockDevice? Read(ulong deviceNumber)
    {
        int major = MajorOf(deviceNumber);
        int minor = MinorOf(deviceNumber);
        if (major == 0)
        {
            return null;
        }

        string path = $"/sys/dev/block/{major}:{minor}";
        DirectoryInfo node;
        try
        {
            node = new DirectoryInfo(path);
            if (!node.Exists)
            {
                return null;
            }

            // A partition's node sits inside its disk's node, and has no queue of its own.
            string resolved = node.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? node.FullName;
            var disk = new DirectoryInfo(resolved);
            if (File.Exists(Path.Combine(disk.FullName, "partition")) && disk.Parent is { } parent)
            {
                disk = parent;
            }

            string queue = Path.Combine(disk.FullName, "queue");
            int depth = ReadInt(Path.Combine(queue, "nr_requests"));
            if (depth <= 0)
            {
                return null;
            }

            string mq = Path.Combine(disk.FullName, "mq");
            int hardwareQueues = Directory.Exists(mq) ? Math.Max(1, Directory.GetDirectories(mq).Length) : 1;
            string[] numbers = File.ReadAllText(Path.Combine(disk.FullName, "dev")).Trim().Split(':');
            return new BlockDevice(disk.Name, int.Parse(numbers[0], CultureInfo.InvariantCulture), int.Parse(numbers[1], CultureInfo.InvariantCulture), depth, hardwareQueues, s_count++);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static int ReadInt(string path) =>
        File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : 0;
}
