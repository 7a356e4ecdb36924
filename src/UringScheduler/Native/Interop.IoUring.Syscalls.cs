using System.Runtime.InteropServices;

namespace UringScheduler.Native;

internal static partial class Interop
{
    /// <summary>
    /// The three io_uring system calls through libc's <c>syscall(2)</c>: glibc has no wrappers for them. Each returns
    /// the result, or <c>-errno</c> on failure, so callers never need a second call to fetch errno.
    /// </summary>
    internal static unsafe partial class IoUring
    {
        // syscall() is variadic in C; on the supported 64-bit ABIs integer varargs travel in the same registers as
        // fixed ones, so a fixed six-argument signature is sound. The glibc stub is assembly and uses no va_list.
        [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
        private static partial long Syscall6(long number, long a1, long a2, long a3, long a4, long a5, long a6);

        /// <summary><c>io_uring_setup(entries, params)</c>: the new ring's fd, or -errno.</summary>
        internal static int Setup(uint entries, Params* p)
        {
            long rc = Syscall6(SysSetup, entries, (long)p, 0, 0, 0, 0);
            return rc < 0 ? -Marshal.GetLastPInvokeError() : (int)rc;
        }

        /// <summary><c>io_uring_enter(fd, to_submit, min_complete, flags, arg, argsz)</c>: SQEs consumed, or -errno.</summary>
        internal static int Enter(int fd, uint toSubmit, uint minComplete, uint flags, void* arg, nuint argSize)
        {
            long rc = Syscall6(SysEnter, fd, toSubmit, minComplete, flags, (long)arg, (long)argSize);
            return rc < 0 ? -Marshal.GetLastPInvokeError() : (int)rc;
        }

        /// <summary><c>io_uring_register(fd, opcode, arg, nr_args)</c>: a result >= 0, or -errno.</summary>
        internal static int Register(int fd, uint opcode, void* arg, uint count)
        {
            long rc = Syscall6(SysRegister, fd, opcode, (long)arg, count, 0, 0);
            return rc < 0 ? -Marshal.GetLastPInvokeError() : (int)rc;
        }
    }
}
