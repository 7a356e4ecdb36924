using System.Globalization;
using System.Runtime.InteropServices;
using UringScheduler.Bench.Cli;
using UringScheduler.Bench.Data;
using UringScheduler.Bench.Native;

namespace UringScheduler.Bench.Running;

/// <summary>
/// A memory cgroup made for the run, below the bench's own memory cgroup (so limits above it still hold): cgroup v2
/// (<c>memory.max</c>) where the unified hierarchy has the memory controller, else v1 (<c>memory.limit_in_bytes</c>).
/// <see cref="Enter"/> moves the whole process (every thread) into it and <see cref="Leave"/> back; <see cref="Dispose"/>
/// moves it back and removes the cgroup; Ctrl-C and SIGTERM do the same before the process ends.
/// </summary>
internal sealed class MemoryCgroup : IDisposable
{
    private readonly string _originalDirectory;
    private readonly List<PosixSignalRegistration> _signals = [];
    private readonly Lock _lock = new();
    private bool _entered;
    private bool _removed;

    private MemoryCgroup(string directory, string originalDirectory, string relativePath, int version, long limitBytes)
    {
        Folder = directory;
        _originalDirectory = originalDirectory;
        RelativePath = relativePath;
        Version = version;
        LimitBytes = limitBytes;
    }

    /// <summary>The cgroup's folder in the cgroup file system.</summary>
    public string Folder { get; }

    /// <summary>The cgroup as <c>/proc/PID/cgroup</c> names it (relative to its hierarchy's root).</summary>
    public string RelativePath { get; }

    /// <summary>1 or 2.</summary>
    public int Version { get; }

    public long LimitBytes { get; }

    /// <summary>Makes the cgroup with its limit. Throws <see cref="UsageException"/> with what is missing when it cannot.</summary>
    public static MemoryCgroup Create(long limitBytes)
    {
        if (Libc.Geteuid() != 0)
        {
            throw new UsageException("--memory-limit: making a memory cgroup needs root (run as root, or drop --memory-limit)");
        }

        List<Hierarchy> hierarchies = FindHierarchies();
        if (hierarchies.Count == 0)
        {
            throw new UsageException("--memory-limit: no cgroup memory controller here (neither cgroup v2 with 'memory' in cgroup.controllers nor a v1 memory hierarchy is mounted)");
        }

        string? problem = null;
        foreach (Hierarchy hierarchy in hierarchies)
        {
            if (hierarchy.ReadOnly)
            {
                problem ??= $"the cgroup file system at {hierarchy.Mount} is mounted read-only";
                continue;
            }

            try
            {
                return CreateIn(hierarchy, limitBytes);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problem = $"cgroup v{hierarchy.Version} at {hierarchy.Mount}: {e.Message}";
            }
        }

        throw new UsageException($"--memory-limit: cannot make a memory cgroup ({problem})");
    }

    /// <summary>Whether <see cref="Create"/> can work here: root and a memory controller (without trying it).</summary>
    public static bool LooksPossible() => Libc.Geteuid() == 0 && FindHierarchies().Any(h => !h.ReadOnly);

    /// <summary>Moves this process, with all its threads, into the cgroup.</summary>
    public void Enter()
    {
        lock (_lock)
        {
            File.WriteAllText(Path.Combine(Folder, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            _entered = true;
        }
    }

    /// <summary>Moves this process back to the cgroup it came from; the cgroup stays, to be entered again.</summary>
    public void Leave()
    {
        lock (_lock)
        {
            if (_entered)
            {
                File.WriteAllText(Path.Combine(_originalDirectory, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
                _entered = false;
            }
        }
    }

    /// <summary>The most memory the cgroup was charged at any time (v1 <c>memory.max_usage_in_bytes</c>, v2 <c>memory.peak</c>), or -1 where not offered.</summary>
    public long PeakBytes()
    {
        string file = Path.Combine(Folder, Version == 1 ? "memory.max_usage_in_bytes" : "memory.peak");
        try
        {
            return long.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long peak) ? peak : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>The memory cgroup this process is in now, as <c>/proc/self/cgroup</c> says (relative to the hierarchy's root), or null.</summary>
    public static string? CurrentPath(int version)
    {
        foreach (string line in File.ReadLines("/proc/self/cgroup"))
        {
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            bool match = version == 2 ? parts[0] == "0" && parts[1].Length == 0 : parts[1].Split(',').Contains("memory");
            if (match)
            {
                return parts[2];
            }
        }

        return null;
    }

    /// <summary>Moves the process back where it was and removes the cgroup; safe to call more than once.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_removed)
            {
                return;
            }

            _removed = true;
            if (_entered)
            {
                try
                {
                    File.WriteAllText(Path.Combine(_originalDirectory, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"uring-bench: warning: could not move back to {_originalDirectory}: {e.Message}");
                }
            }

            // The kernel may still be tearing down a thread that left; rmdir is refused (EBUSY) until it is gone.
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    Directory.Delete(Folder);
                    break;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    if (attempt == 50)
                    {
                        Console.Error.WriteLine($"uring-bench: warning: could not remove the cgroup {Folder}: {e.Message}");
                        break;
                    }

                    Thread.Sleep(20);
                }
            }
        }

        foreach (PosixSignalRegistration signal in _signals)
        {
            signal.Dispose();
        }
    }

    private static MemoryCgroup CreateIn(Hierarchy hierarchy, long limitBytes)
    {
        // /proc/self/cgroup names the cgroup from the hierarchy's root; the mount may show only a subtree of it.
        string current = CurrentPath(hierarchy.Version) ?? "/";
        if (hierarchy.Root != "/" && current.StartsWith(hierarchy.Root, StringComparison.Ordinal))
        {
            current = current[hierarchy.Root.Length..];
        }

        current = current.Trim('/');
        string parent = current.Length == 0 ? hierarchy.Mount : Path.Join(hierarchy.Mount, current);
        string directory = Path.Join(parent, $"uring-bench-{Environment.ProcessId}");
        string relative = "/" + string.Join('/', new[] { hierarchy.Root.Trim('/'), current, $"uring-bench-{Environment.ProcessId}" }.Where(p => p.Length > 0));
        if (hierarchy.Version == 2)
        {
            // v2 hands the controller down only where the parent's subtree_control enables it.
            string subtree = Path.Combine(parent, "cgroup.subtree_control");
            if (!File.ReadAllText(subtree).Split(' ', StringSplitOptions.TrimEntries).Contains("memory"))
            {
                File.WriteAllText(subtree, "+memory");
            }
        }

        Directory.CreateDirectory(directory);
        MemoryCgroup cgroup = new(directory, parent, relative, hierarchy.Version, limitBytes);
        try
        {
            File.WriteAllText(Path.Combine(directory, hierarchy.Version == 2 ? "memory.max" : "memory.limit_in_bytes"), limitBytes.ToString(CultureInfo.InvariantCulture));
            foreach (PosixSignal signal in (ReadOnlySpan<PosixSignal>)[PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT])
            {
                // Not cancelled: the signal's default action (ending the process) follows the clean-up.
                cgroup._signals.Add(PosixSignalRegistration.Create(signal, _ => cgroup.Dispose()));
            }
        }
        catch
        {
            cgroup.Dispose();
            throw;
        }

        return cgroup;
    }

    /// <summary>Mounted hierarchies with the memory controller, v2 first.</summary>
    private static List<Hierarchy> FindHierarchies()
    {
        List<Hierarchy> found = [];
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            string[] fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (dash < 0 || fields.Length < dash + 4)
            {
                continue;
            }

            string mount = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
            bool readOnly = fields[5].Split(',').Contains("ro") || fields[dash + 3].Split(',').Contains("ro");
            string type = fields[dash + 1];

            if (type == "cgroup2")
            {
                string controllers = Path.Combine(mount, "cgroup.controllers");
                if (File.Exists(controllers) && File.ReadAllText(controllers).Split(' ', StringSplitOptions.TrimEntries).Contains("memory"))
                {
                    found.Insert(0, new Hierarchy(mount, fields[3], 2, readOnly));
                }
            }
            else if (type == "cgroup" && fields[dash + 3].Split(',').Contains("memory"))
            {
                found.Add(new Hierarchy(mount, fields[3], 1, readOnly));
            }
        }

        return found;
    }

    private sealed record Hierarchy(string Mount, string Root, int Version, bool ReadOnly);
}
