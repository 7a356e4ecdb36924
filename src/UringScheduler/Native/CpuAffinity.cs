namespace UringScheduler.Native;

/// <summary>The CPUs this process may run on (its affinity mask, which cgroups and taskset narrow), and thread pinning.</summary>
internal static unsafe class CpuAffinity
{
    private const int MaskBytes = 1024 / 8; // room for 1024 CPUs, as glibc's cpu_set_t

    /// <summary>The CPU numbers in the calling thread's affinity mask, ascending.</summary>
    public static int[] GetAllowedCpus()
    {
        byte* mask = stackalloc byte[MaskBytes];
        new Span<byte>(mask, MaskBytes).Clear();
        if (Interop.Libc.SchedGetAffinity(0, MaskBytes, mask) != 0)
        {
            return Enumerable.Range(0, Environment.ProcessorCount).ToArray();
        }

        var cpus = new List<int>();
        for (int i = 0; i < MaskBytes * 8; i++)
        {
            if ((mask[i >> 3] & (1 << (i & 7))) != 0)
            {
                cpus.Add(i);
            }
        }

        return cpus.Count > 0 ? cpus.ToArray() : Enumerable.Range(0, Environment.ProcessorCount).ToArray();
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/>. Returns 0 or the errno.</summary>
    public static int PinCurrentThread(int cpu)
    {
        byte* mask = stackalloc byte[MaskBytes];
        new Span<byte>(mask, MaskBytes).Clear();
        mask[cpu >> 3] = (byte)(1 << (cpu & 7));
        return Interop.Libc.SchedSetAffinity(0, MaskBytes, mask) == 0 ? 0 : System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
    }
}
