using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;
using UringScheduler.Files;
using UringScheduler.IoScheduling;

namespace UringScheduler.Tests.IoScheduling;

/// <summary>Files are attributed to the whole block device that holds them, as sysfs describes it.</summary>
public sealed class BlockDeviceTests
{
    [Test]
    public void TemporaryFile_BelongsToTheDiskThatSysfsNames()
    {
        using SafeFileHandle handle = TestFiles.CreateDeleteOnClose();
        Assert.That(Syscall.fstat((int)handle.DangerousGetHandle(), out Stat stat), Is.Zero);
        int major = BlockDevice.MajorOf(stat.st_dev);
        int minor = BlockDevice.MinorOf(stat.st_dev);
        string node = $"/sys/dev/block/{major}:{minor}";
        BlockDevice? device = FileProfile.Of(handle).Device;

        if (major == 0 || !Directory.Exists(node))
        {
            // tmpfs, overlayfs, btrfs subvolumes: no block device of their own, so nothing to bound.
            Assert.That(device, Is.Null, $"{major}:{minor} has no block device in sysfs");
            return;
        }

        // The disk: the node itself, or its parent when the node is a partition.
        var disk = new DirectoryInfo(new DirectoryInfo(node).ResolveLinkTarget(returnFinalTarget: true)!.FullName);
        if (File.Exists(Path.Combine(disk.FullName, "partition")))
        {
            disk = disk.Parent!;
        }

        int depth = int.Parse(File.ReadAllText(Path.Combine(disk.FullName, "queue", "nr_requests")).Trim(), CultureInfo.InvariantCulture);
        Assert.That(device, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(device!.Name, Is.EqualTo(disk.Name));
            Assert.That(device.RequestQueueDepth, Is.EqualTo(depth));
            Assert.That(device.DefaultCapacity, Is.EqualTo(Math.Max(1, depth * device.HardwareQueues / 2)));
            Assert.That(BlockDevice.Of(stat.st_dev), Is.SameAs(device), "one instance per device in the process");
        });
    }

    [Test]
    public void Pipe_HasNoDevice()
    {
        (SafeFileHandle read, SafeFileHandle write) = TestPipe.Handles();
        using (read)
        using (write)
        {
            Assert.That(FileProfile.Of(read).Device, Is.Null);
        }
    }

    [TestCase(0x0000_0000_0000_fe01UL, 254, 1)]    // 254:1, within the old 8:8 encoding
    [TestCase(0x0000_0000_0001_0301UL, 259, 1)]    // a major above 255 (nvme's 259)
    [TestCase(0x0000_0000_0010_0800UL, 8, 256)]    // a minor above 255: its high bits sit above the major
    [TestCase(0x0000_1000_0000_0800UL, 4104, 0)]   // a major above 4095: its high bits sit at bit 44
    public void DeviceNumbers_DecodeAsGlibcDoes(ulong dev, int major, int minor)
    {
        Assert.That(BlockDevice.MajorOf(dev), Is.EqualTo(major));
        Assert.That(BlockDevice.MinorOf(dev), Is.EqualTo(minor));
    }
}
