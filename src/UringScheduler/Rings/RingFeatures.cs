using System.Text;
using static UringScheduler.Native.Interop.IoUring;

namespace UringScheduler.Rings;

/// <summary>What one ring obtained from the kernel: setup flags, feature bits, sizes and supported opcodes. Logged once at start.</summary>
internal sealed class RingFeatures
{
    private readonly ulong[] _supportedOps;

    internal RingFeatures(RingSetupRung rung, uint setupFlags, uint features, uint sqEntries, uint cqEntries, ulong[] supportedOps, string kernelRelease)
    {
        Rung = rung;
        SetupFlags = setupFlags;
        Features = features;
        SqEntries = sqEntries;
        CqEntries = cqEntries;
        _supportedOps = supportedOps;
        KernelRelease = kernelRelease;
    }

    public RingSetupRung Rung { get; }

    public uint SetupFlags { get; }

    public uint Features { get; }

    public uint SqEntries { get; }

    public uint CqEntries { get; }

    public string KernelRelease { get; }

    public bool HasFeature(uint feature) => (Features & feature) == feature;

    public bool HasSetupFlag(uint flag) => (SetupFlags & flag) == flag;

    public bool DeferTaskRun => HasSetupFlag(IORING_SETUP_DEFER_TASKRUN);

    public bool ExtArg => HasFeature(IORING_FEAT_EXT_ARG);

    public bool NoDrop => HasFeature(IORING_FEAT_NODROP);

    /// <summary>Whether the kernel's probe reports <paramref name="op"/> as supported.</summary>
    public bool Supports(Native.IoUringOp op)
    {
        int i = (byte)op;
        return (_supportedOps[i >> 6] & (1UL << (i & 63))) != 0;
    }

    public static string FormatSetupFlags(uint flags)
    {
        return FormatBits(flags,
        [
            (IORING_SETUP_IOPOLL, "IOPOLL"), (IORING_SETUP_SQPOLL, "SQPOLL"), (IORING_SETUP_SQ_AFF, "SQ_AFF"),
            (IORING_SETUP_CQSIZE, "CQSIZE"), (IORING_SETUP_CLAMP, "CLAMP"), (IORING_SETUP_ATTACH_WQ, "ATTACH_WQ"),
            (IORING_SETUP_R_DISABLED, "R_DISABLED"), (IORING_SETUP_SUBMIT_ALL, "SUBMIT_ALL"),
            (IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"), (IORING_SETUP_TASKRUN_FLAG, "TASKRUN_FLAG"),
            (IORING_SETUP_SQE128, "SQE128"), (IORING_SETUP_CQE32, "CQE32"), (IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER"),
            (IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN"), (IORING_SETUP_NO_MMAP, "NO_MMAP"),
            (IORING_SETUP_REGISTERED_FD_ONLY, "REGISTERED_FD_ONLY"), (IORING_SETUP_NO_SQARRAY, "NO_SQARRAY"),
        ]);
    }

    public static string FormatFeatures(uint features)
    {
        return FormatBits(features,
        [
            (IORING_FEAT_SINGLE_MMAP, "SINGLE_MMAP"), (IORING_FEAT_NODROP, "NODROP"), (IORING_FEAT_SUBMIT_STABLE, "SUBMIT_STABLE"),
            (IORING_FEAT_RW_CUR_POS, "RW_CUR_POS"), (IORING_FEAT_CUR_PERSONALITY, "CUR_PERSONALITY"),
            (IORING_FEAT_FAST_POLL, "FAST_POLL"), (IORING_FEAT_POLL_32BITS, "POLL_32BITS"),
            (IORING_FEAT_SQPOLL_NONFIXED, "SQPOLL_NONFIXED"), (IORING_FEAT_EXT_ARG, "EXT_ARG"),
            (IORING_FEAT_NATIVE_WORKERS, "NATIVE_WORKERS"), (IORING_FEAT_RSRC_TAGS, "RSRC_TAGS"),
            (IORING_FEAT_CQE_SKIP, "CQE_SKIP"), (IORING_FEAT_LINKED_FILE, "LINKED_FILE"),
            (IORING_FEAT_REG_REG_RING, "REG_REG_RING"), (IORING_FEAT_RECVSEND_BUNDLE, "RECVSEND_BUNDLE"),
            (IORING_FEAT_MIN_TIMEOUT, "MIN_TIMEOUT"), (IORING_FEAT_RW_ATTR, "RW_ATTR"), (IORING_FEAT_NO_IOWAIT, "NO_IOWAIT"),
        ]);
    }

    private static string FormatBits(uint value, (uint Bit, string Name)[] names)
    {
        var sb = new StringBuilder();
        foreach ((uint bit, string name) in names)
        {
            if ((value & bit) != 0)
            {
                if (sb.Length > 0)
                {
                    sb.Append('|');
                }

                sb.Append(name);
                value &= ~bit;
            }
        }

        if (value != 0)
        {
            if (sb.Length > 0)
            {
                sb.Append('|');
            }

            sb.Append("0x").Append(value.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.Length == 0 ? "none" : sb.ToString();
    }

    public override string ToString() => $"kernel {KernelRelease}; {DescribeRing()}";

    /// <summary>Setup flags, features and sizes, without the kernel version (for logs that print it already).</summary>
    public string DescribeRing() =>
        $"setup {FormatSetupFlags(SetupFlags)}; features {FormatFeatures(Features)}; sq {SqEntries}, cq {CqEntries}";
}
