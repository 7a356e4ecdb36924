using Tsavorite.core;

namespace UringScheduler.Tsavorite.Tests;

public sealed class UringNamedDeviceFactoryTests
{
    [Test]
    public async Task Get_MakesUringDevicesUnderTheBaseDirectory_ListAndDeleteFollowTheLocalFactory()
    {
        using var dir = new TempDirectory();
        await using UringRuntime runtime = TestRuntime.Create();
        var creator = new UringNamedDeviceFactoryCreator(runtime, new UringDeviceOptions { ThrottleLimit = 7 });
        INamedDeviceFactory factory = creator.Create(dir.Path);

        IDevice device = factory.Get(new FileDescriptor("Store", "hlog"));
        Assert.That(device, Is.InstanceOf<UringDevice>());
        Assert.That(device.ThrottleLimit, Is.EqualTo(7));
        Assert.That(device.SectorSize, Is.EqualTo(factory.GetSectorSize(new FileDescriptor("Store", "hlog"))));
        using (var buffer = new AlignedBuffer(4096))
        {
            await DeviceIo.WriteAsync(device, buffer.Pointer, 0, 4096).Ok();
        }

        Assert.That(File.Exists(Path.Combine(dir.Path, "Store", "hlog.0")), Is.True, "one unbounded segment: NAME.0");
        Assert.That(creator.CompletedOperations(), Is.EqualTo((0L, 1L)));
        device.Dispose();

        Directory.CreateDirectory(Path.Combine(dir.Path, "Store", "checkpoints"));
        FileDescriptor[] listed = factory.ListContents("Store").ToArray();
        Assert.That(listed, Does.Contain(new FileDescriptor("checkpoints", string.Empty)));
        Assert.That(listed, Does.Contain(new FileDescriptor(string.Empty, "hlog.0")));

        factory.Delete(new FileDescriptor("Store", "hlog"));
        Assert.That(File.Exists(Path.Combine(dir.Path, "Store", "hlog.0")), Is.False, "a file descriptor deletes NAME.0");
        factory.Delete(new FileDescriptor("Store", null!));
        Assert.That(Directory.Exists(Path.Combine(dir.Path, "Store")), Is.False, "a directory descriptor deletes the directory");
        Assert.That(factory.ListContents("Store"), Is.Empty);
    }

    [Test]
    public void Creator_RequiresARuntime_AndOptionsAreValidated()
    {
        Assert.Throws<ArgumentNullException>(() => new UringNamedDeviceFactoryCreator(null!));
        using UringRuntime runtime = TestRuntime.Create(workers: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new UringNamedDeviceFactory(string.Empty, runtime, new UringDeviceOptions { ThrottleLimit = 0 }));
    }
}
