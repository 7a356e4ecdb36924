using System.Runtime.InteropServices;

namespace UringScheduler.Native;

// Layouts of the kernel's io_uring structures (include/uapi/linux/io_uring.h). Unions are flattened into explicit
// offsets; the tests check every size and offset against the header's values.
internal static partial class Interop
{
    internal static partial class IoUring
    {
        /// <summary><c>struct io_sqring_offsets</c> (40 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct SqRingOffsets
        {
            public uint Head;
            public uint Tail;
            public uint RingMask;
            public uint RingEntries;
            public uint Flags;
            public uint Dropped;
            public uint Array;
            public uint Resv1;
            public ulong UserAddr;
        }

        /// <summary><c>struct io_cqring_offsets</c> (40 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct CqRingOffsets
        {
            public uint Head;
            public uint Tail;
            public uint RingMask;
            public uint RingEntries;
            public uint Overflow;
            public uint Cqes;
            public uint Flags;
            public uint Resv1;
            public ulong UserAddr;
        }

        /// <summary><c>struct io_uring_params</c> (120 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct Params
        {
            public uint SqEntries;
            public uint CqEntries;
            public uint Flags;
            public uint SqThreadCpu;
            public uint SqThreadIdle;
            public uint Features;
            public uint WqFd;
            public fixed uint Resv[3];
            public SqRingOffsets SqOff;
            public CqRingOffsets CqOff;
        }

        /// <summary><c>struct io_uring_sqe</c> (64 bytes), the unions flattened.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 64)]
        internal struct Sqe
        {
            [FieldOffset(0)] public byte Opcode;
            [FieldOffset(1)] public byte Flags;
            [FieldOffset(2)] public ushort IoPrio;
            [FieldOffset(4)] public int Fd;

            /// <summary><c>off</c> / <c>addr2</c>.</summary>
            [FieldOffset(8)] public ulong Off;

            /// <summary><c>addr</c> / <c>splice_off_in</c>.</summary>
            [FieldOffset(16)] public ulong Addr;
            [FieldOffset(24)] public uint Len;

            /// <summary>The op-specific flags union (<c>rw_flags</c>, <c>fsync_flags</c>, <c>timeout_flags</c>, <c>cancel_flags</c>, <c>open_flags</c>, <c>statx_flags</c>...).</summary>
            [FieldOffset(28)] public uint OpFlags;
            [FieldOffset(32)] public ulong UserData;

            /// <summary><c>buf_index</c> / <c>buf_group</c>.</summary>
            [FieldOffset(40)] public ushort BufIndex;
            [FieldOffset(42)] public ushort Personality;

            /// <summary><c>splice_fd_in</c> / <c>file_index</c>.</summary>
            [FieldOffset(44)] public uint FileIndex;
            [FieldOffset(48)] public ulong Addr3;
            [FieldOffset(56)] public ulong Pad2;
        }

        /// <summary><c>struct io_uring_cqe</c> (16 bytes; rings are created without CQE32).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct Cqe
        {
            public ulong UserData;
            public int Res;
            public uint Flags;
        }

        /// <summary><c>struct io_uring_getevents_arg</c> (24 bytes), for <c>IORING_ENTER_EXT_ARG</c>.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct GetEventsArg
        {
            public ulong SigMask;
            public uint SigMaskSize;
            public uint MinWaitUsec;
            public ulong Ts;
        }

        /// <summary><c>struct __kernel_timespec</c> (16 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct KernelTimespec
        {
            public long Sec;
            public long Nsec;

            public static KernelTimespec FromNanoseconds(long nanoseconds)
            {
                if (nanoseconds < 0)
                {
                    nanoseconds = 0;
                }

                return new KernelTimespec { Sec = nanoseconds / 1_000_000_000, Nsec = nanoseconds % 1_000_000_000 };
            }
        }

        /// <summary><c>struct io_uring_files_update</c> (16 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct FilesUpdate
        {
            public uint Offset;
            public uint Resv;
            public ulong Fds;
        }

        /// <summary><c>struct io_uring_rsrc_update</c> (16 bytes), used by <c>IORING_REGISTER_RING_FDS</c>.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct RsrcUpdate
        {
            public uint Offset;
            public uint Resv;
            public ulong Data;
        }

        /// <summary><c>struct io_uring_buf_reg</c> (40 bytes), for <c>IORING_REGISTER_PBUF_RING</c>.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct BufReg
        {
            public ulong RingAddr;
            public uint RingEntries;
            public ushort Bgid;
            public ushort Flags;
            public fixed ulong Resv[3];
        }

        /// <summary>
        /// <c>struct io_uring_buf</c> (16 bytes): one entry of a provided buffer ring. The ring's tail overlays the
        /// <see cref="Resv"/> field of entry 0 (<c>struct io_uring_buf_ring</c>).
        /// </summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct BufRingEntry
        {
            public ulong Addr;
            public uint Len;
            public ushort Bid;
            public ushort Resv;
        }

        /// <summary><c>struct io_uring_rsrc_register</c> (32 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct RsrcRegister
        {
            public uint Nr;
            public uint Flags;
            public ulong Resv2;
            public ulong Data;
            public ulong Tags;
        }

        /// <summary><c>struct io_uring_probe</c> header (16 bytes), followed by <see cref="ProbeOp"/> entries.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct Probe
        {
            public byte LastOp;
            public byte OpsLen;
            public ushort Resv;
            public fixed uint Resv2[3];
        }

        /// <summary><c>struct io_uring_probe_op</c> (8 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct ProbeOp
        {
            public byte Op;
            public byte Resv;
            public ushort Flags;
            public uint Resv2;
        }

        /// <summary><c>struct iovec</c> (16 bytes on 64-bit).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct IoVec
        {
            public void* Base;
            public nuint Length;
        }
    }
}
