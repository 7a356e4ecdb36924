using System.Diagnostics;

namespace UringScheduler.Tests.Limits;

/// <summary>
/// A low RLIMIT_MEMLOCK, for real: a child process with the limit lowered to 64 KiB (<c>ulimit -l</c>) and, when run as
/// root, without CAP_IPC_LOCK (which exempts from the limit), starts a runtime whose buffer pool does not fit. The
/// registration fails with an exception that names the limit and the fix, and the runtime serves the I/O unregistered.
/// </summary>
public class MemlockLimitTests
{
    [Test]
    public async Task LowMemlockLimit_BufferRegistrationFails_NamingTheLimit_AndTheRuntimeServesUnregisteredIo()
    {
        if (!UringRuntime.IsSupported)
        {
            Assert.Fail($"io_uring is unavailable here: {UringRuntime.UnsupportedReason}");
        }

        string data = TestFiles.CreateRandom(8192, out _);
        try
        {
            Dictionary<string, string> result = await RunChildAsync(data);
            Assert.That(result.GetValueOrDefault("failed"), Is.Null, "the runtime did not start");
            Assert.That(result["limit"], Does.Contain("65536"), "the child runs with the lowered limit");
            Assert.That(HasIpcLock(result["capeff"]), Is.False, "the child runs without CAP_IPC_LOCK");
            Assert.That(result["backend"], Is.EqualTo("IoUring"));
            Assert.That(result["error"], Is.EqualTo(nameof(UringUnavailableException)));
            Assert.That(result["message"], Does.Contain("RLIMIT_MEMLOCK").And.Contain("65536").And.Contain("ulimit -l").And.Contain("LimitMEMLOCK"));
            Assert.That(result["warnings"], Is.EqualTo("1"));
            Assert.That(result["read"], Is.EqualTo("ok"));
            Assert.That(result["fixed"], Is.EqualTo("0"), "the read went out unregistered");
        }
        finally
        {
            File.Delete(data);
        }
    }

    // CAP_IPC_LOCK is capability 14.
    private static bool HasIpcLock(string capEffHex) => (Convert.ToUInt64(capEffHex, 16) & (1UL << 14)) != 0;

    private static async Task<Dictionary<string, string>> RunChildAsync(string dataFile)
    {
        string dll = typeof(MemlockChild).Assembly.Location;
        bool root = Environment.UserName == "root" || File.ReadLines("/proc/self/status").Any(l => l.StartsWith("Uid:\t0\t", StringComparison.Ordinal));

        // Lower the limit in a shell, then exec the child; as root, drop CAP_IPC_LOCK from the bounding set first, so
        // the exec'd process does not get it back.
        string shell = $"ulimit -l 64 && exec dotnet \"{dll}\" {MemlockChild.Scenario} \"{dataFile}\"";
        var start = new ProcessStartInfo(root ? "setpriv" : "sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (root)
        {
            foreach (string argument in new[] { "--bounding-set", "-ipc_lock", "--inh-caps", "-ipc_lock", "--", "sh" })
            {
                start.ArgumentList.Add(argument);
            }
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(shell);
        using Process child = Process.Start(start)!;
        Task<string> output = child.StandardOutput.ReadToEndAsync();
        Task<string> errors = child.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await child.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            Assert.Fail("the child did not finish within 60 s");
        }

        string text = await output;
        TestContext.Out.WriteLine(text);
        TestContext.Out.WriteLine(await errors);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1].Trim());
    }
}
