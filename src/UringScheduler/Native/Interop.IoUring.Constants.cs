namespace UringScheduler.Native;

// Values from the kernel's include/uapi/linux/io_uring.h. Names keep the kernel's spelling (minus the prefix) so
// they can be looked up there.
internal static partial class Interop
{
    internal static partial class IoUring
    {
        // Syscall numbers: io_uring was added after the syscall tables were unified, so x86_64 and arm64 agree.
        internal const long SysSetup = 425;
        internal const long SysEnter = 426;
        internal const long SysRegister = 427;

        // io_uring_params.flags
        internal const uint IORING_SETUP_IOPOLL = 1u << 0;
        internal const uint IORING_SETUP_SQPOLL = 1u << 1;
        internal const uint IORING_SETUP_SQ_AFF = 1u << 2;
        internal const uint IORING_SETUP_CQSIZE = 1u << 3;
        internal const uint IORING_SETUP_CLAMP = 1u << 4;
        internal const uint IORING_SETUP_ATTACH_WQ = 1u << 5;
        internal const uint IORING_SETUP_R_DISABLED = 1u << 6;
        internal const uint IORING_SETUP_SUBMIT_ALL = 1u << 7;
        internal const uint IORING_SETUP_COOP_TASKRUN = 1u << 8;
        internal const uint IORING_SETUP_TASKRUN_FLAG = 1u << 9;
        internal const uint IORING_SETUP_SQE128 = 1u << 10;
        internal const uint IORING_SETUP_CQE32 = 1u << 11;
        internal const uint IORING_SETUP_SINGLE_ISSUER = 1u << 12;
        internal const uint IORING_SETUP_DEFER_TASKRUN = 1u << 13;
        internal const uint IORING_SETUP_NO_MMAP = 1u << 14;
        internal const uint IORING_SETUP_REGISTERED_FD_ONLY = 1u << 15;
        internal const uint IORING_SETUP_NO_SQARRAY = 1u << 16;

        // io_uring_params.features
        internal const uint IORING_FEAT_SINGLE_MMAP = 1u << 0;
        internal const uint IORING_FEAT_NODROP = 1u << 1;
        internal const uint IORING_FEAT_SUBMIT_STABLE = 1u << 2;
        internal const uint IORING_FEAT_RW_CUR_POS = 1u << 3;
        internal const uint IORING_FEAT_CUR_PERSONALITY = 1u << 4;
        internal const uint IORING_FEAT_FAST_POLL = 1u << 5;
        internal const uint IORING_FEAT_POLL_32BITS = 1u << 6;
        internal const uint IORING_FEAT_SQPOLL_NONFIXED = 1u << 7;
        internal const uint IORING_FEAT_EXT_ARG = 1u << 8;
        internal const uint IORING_FEAT_NATIVE_WORKERS = 1u << 9;
        internal const uint IORING_FEAT_RSRC_TAGS = 1u << 10;
        internal const uint IORING_FEAT_CQE_SKIP = 1u << 11;
        internal const uint IORING_FEAT_LINKED_FILE = 1u << 12;
        internal const uint IORING_FEAT_REG_REG_RING = 1u << 13;
        internal const uint IORING_FEAT_RECVSEND_BUNDLE = 1u << 14;
        internal const uint IORING_FEAT_MIN_TIMEOUT = 1u << 15;
        internal const uint IORING_FEAT_RW_ATTR = 1u << 16;
        internal const uint IORING_FEAT_NO_IOWAIT = 1u << 17;

        // mmap offsets
        internal const long IORING_OFF_SQ_RING = 0;
        internal const long IORING_OFF_CQ_RING = 0x8000000;
        internal const long IORING_OFF_SQES = 0x10000000;

        // sq_ring->flags
        internal const uint IORING_SQ_CQ_OVERFLOW = 1u << 1;
        internal const uint IORING_SQ_TASKRUN = 1u << 2;

        // io_uring_enter flags
        internal const uint IORING_ENTER_GETEVENTS = 1u << 0;
        internal const uint IORING_ENTER_EXT_ARG = 1u << 3;
        internal const uint IORING_ENTER_REGISTERED_RING = 1u << 4;

        // sqe->flags
        internal const byte IOSQE_FIXED_FILE = 1 << 0;
        internal const byte IOSQE_IO_LINK = 1 << 2;
        internal const byte IOSQE_BUFFER_SELECT = 1 << 5;
        internal const byte IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

        // sqe->fsync_flags
        internal const uint IORING_FSYNC_DATASYNC = 1u << 0;

        // sqe->cancel_flags
        internal const uint IORING_ASYNC_CANCEL_ALL = 1u << 0;
        internal const uint IORING_ASYNC_CANCEL_FD = 1u << 1;

        // cqe->flags
        internal const uint IORING_CQE_F_BUFFER = 1u << 0;
        internal const uint IORING_CQE_F_MORE = 1u << 1;
        internal const uint IORING_CQE_F_SOCK_NONEMPTY = 1u << 2;
        internal const uint IORING_CQE_F_NOTIF = 1u << 3;

        // The id of the provided buffer a completion used sits in cqe->flags above this shift.
        internal const int IORING_CQE_BUFFER_SHIFT = 16;

        // sqe->ioprio for RECV/SEND: keep receiving into provided buffers until stopped (Linux 6.0).
        internal const ushort IORING_RECV_MULTISHOT = 1 << 1;

        // sqe->ioprio for ACCEPT: keep accepting until stopped (Linux 5.19).
        internal const ushort IORING_ACCEPT_MULTISHOT = 1 << 0;

        // io_uring_register opcodes
        internal const uint IORING_REGISTER_BUFFERS = 0;
        internal const uint IORING_UNREGISTER_BUFFERS = 1;
        internal const uint IORING_REGISTER_FILES = 2;
        internal const uint IORING_UNREGISTER_FILES = 3;
        internal const uint IORING_REGISTER_FILES_UPDATE = 6;
        internal const uint IORING_REGISTER_PROBE = 8;
        internal const uint IORING_REGISTER_FILES2 = 13;
        internal const uint IORING_REGISTER_IOWQ_MAX_WORKERS = 19;
        internal const uint IORING_REGISTER_RING_FDS = 20;
        internal const uint IORING_UNREGISTER_RING_FDS = 21;
        internal const uint IORING_REGISTER_PBUF_RING = 22;
        internal const uint IORING_UNREGISTER_PBUF_RING = 23;

        // io_uring_rsrc_register.flags
        internal const uint IORING_RSRC_REGISTER_SPARSE = 1u << 0;

        // io_uring_probe_op.flags
        internal const ushort IO_URING_OP_SUPPORTED = 1 << 0;

        // A file slot that holds no file in a registered (sparse) file table.
        internal const int RegisteredFileEmpty = -1;
    }
}
