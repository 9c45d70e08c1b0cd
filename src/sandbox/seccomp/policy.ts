// The seccomp policy of every bwrap sandbox (THREAT-MODEL.md, "Seccomp policy"): a default-deny
// allowlist of what Node 20 + libuv + glibc + V8 need, a few calls allowed only with safe
// arguments, and the calls a tenant must never make. Anything not listed as allowed fails with
// EPERM. Names missing from an architecture's table (x86_64's legacy open/stat/fork...) are
// skipped on that architecture. docs/seccomp.md explains the same list for operators.

export const EPERM = 1;
export const ENOSYS = 38;

/** The errno of every call the policy does not allow. */
export const DEFAULT_ERRNO = EPERM;

export interface SyscallGroup {
  why: string;
  syscalls: readonly string[];
}

/** A test on the low 32 bits of one argument (every rule's argument is an int in the kernel). */
export type ArgCondition =
  | { kind: 'oneOf'; arg: number; values: readonly number[] }
  | { kind: 'noneOf'; arg: number; values: readonly number[] }
  | { kind: 'noBits'; arg: number; mask: number };

/** A syscall allowed only when its arguments pass; otherwise it fails with DEFAULT_ERRNO. */
export interface ArgRule {
  syscall: string;
  why: string;
  allowWhen: ArgCondition;
}

/** A syscall that always fails with a specific errno (not the default). */
export interface ErrnoRule {
  syscall: string;
  errno: number;
  why: string;
}

export const ALLOWED: readonly SyscallGroup[] = [
  {
    why: 'I/O on descriptors the process already holds',
    syscalls: [
      'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'preadv2', 'pwritev2',
      'lseek', 'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'flock', 'fsync', 'fdatasync',
      'ftruncate', 'fallocate', 'fadvise64', 'sendfile', 'copy_file_range', 'splice', 'tee',
    ],
  },
  {
    why: 'path operations (fs module); the mount namespace confines them to a read-only root and a private /tmp',
    syscalls: [
      'open', 'openat', 'openat2', 'creat', 'stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'statfs', 'fstatfs',
      'access', 'faccessat', 'faccessat2', 'readlink', 'readlinkat', 'getdents', 'getdents64',
      'mkdir', 'mkdirat', 'rmdir', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2',
      'link', 'linkat', 'symlink', 'symlinkat', 'chmod', 'fchmod', 'fchmodat', 'fchmodat2',
      'chown', 'fchown', 'lchown', 'fchownat', 'truncate', 'utimensat', 'utimes',
      'getcwd', 'chdir', 'fchdir', 'umask',
    ],
  },
  { why: 'fs.watch', syscalls: ['inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch'] },
  {
    why: 'memory management: V8 heap, JIT code pages (memory protection keys on x86_64), glibc malloc',
    syscalls: [
      'mmap', 'munmap', 'mprotect', 'mremap', 'brk', 'madvise', 'msync', 'mincore', 'membarrier', 'memfd_create',
      'pkey_alloc', 'pkey_free', 'pkey_mprotect',
    ],
  },
  {
    why: 'threads and their synchronisation: libuv thread pool, V8 platform threads, worker_threads',
    syscalls: [
      'futex', 'set_robust_list', 'set_tid_address', 'rseq', 'gettid', 'sched_yield', 'sched_getaffinity',
      'sched_getparam', 'sched_getscheduler', 'sched_get_priority_max', 'sched_get_priority_min', 'getcpu',
    ],
  },
  {
    why: 'child processes (child_process); the pid namespace keeps signals and waits inside the sandbox',
    syscalls: [
      'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid',
      'kill', 'tkill', 'tgkill', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'pidfd_open', 'pidfd_send_signal',
      'getpid', 'getppid', 'getpgid', 'getpgrp', 'setpgid', 'getsid', 'setsid',
    ],
  },
  {
    why: 'process attributes: thread names, TLS setup, resource limits (raising a hard limit needs a capability)',
    syscalls: ['prctl', 'arch_prctl', 'prlimit64', 'getrlimit', 'setrlimit', 'getrusage', 'times', 'getpriority', 'setpriority'],
  },
  {
    why: 'signal handling (V8, libuv signal watchers, process.on(signal))',
    syscalls: [
      'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigsuspend', 'rt_sigpending', 'rt_sigtimedwait',
      'sigaltstack', 'signalfd', 'signalfd4', 'pause', 'alarm', 'restart_syscall',
    ],
  },
  {
    why: 'reading clocks and arming timers (setting the clock is denied)',
    syscalls: [
      'clock_gettime', 'clock_getres', 'clock_nanosleep', 'nanosleep', 'gettimeofday', 'time',
      'timer_create', 'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete',
      'timerfd_create', 'timerfd_settime', 'timerfd_gettime', 'getitimer', 'setitimer',
    ],
  },
  {
    why: 'the event loop (libuv): epoll, poll, eventfd wake-ups, pipes',
    syscalls: [
      'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2',
      'poll', 'ppoll', 'select', 'pselect6', 'eventfd', 'eventfd2', 'pipe', 'pipe2',
    ],
  },
  {
    why: 'socket operations; the network namespace has only loopback, and socket() itself is restricted below',
    syscalls: [
      'bind', 'listen', 'accept', 'accept4', 'connect', 'getsockname', 'getpeername', 'sendto', 'recvfrom',
      'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown', 'setsockopt', 'getsockopt',
    ],
  },
  {
    why: 'identity and system facts, namespaced or harmless (os module), and randomness (crypto)',
    syscalls: [
      'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups', 'uname', 'sysinfo',
      'capget', 'getrandom',
    ],
  },
];

const CLONE_NAMESPACE_FLAGS = 0x7e020000; // NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const PER_LINUX = 0;
const PERSONALITY_QUERY = 0xffffffff;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;

export const ARG_RULES: readonly ArgRule[] = [
  {
    syscall: 'clone',
    why: 'threads and fork, but no new namespaces (flags is the first argument on x86_64 and aarch64)',
    allowWhen: { kind: 'noBits', arg: 0, mask: CLONE_NAMESPACE_FLAGS },
  },
  {
    syscall: 'socket',
    why: 'unix, IPv4 and IPv6 sockets only: no netlink, packet, vsock or other exotic families',
    allowWhen: { kind: 'oneOf', arg: 0, values: [AF_UNIX, AF_INET, AF_INET6] },
  },
  {
    syscall: 'socketpair',
    why: 'unix socket pairs (child_process stdio) only',
    allowWhen: { kind: 'oneOf', arg: 0, values: [AF_UNIX] },
  },
  {
    syscall: 'personality',
    why: 'query or keep the default persona; others re-enable legacy behaviours (READ_IMPLIES_EXEC, 32-bit layout)',
    allowWhen: { kind: 'oneOf', arg: 0, values: [PER_LINUX, PERSONALITY_QUERY] },
  },
  {
    syscall: 'ioctl',
    why: 'terminal and fd control, except pushing input into a terminal (TIOCSTI, TIOCLINUX)',
    allowWhen: { kind: 'noneOf', arg: 1, values: [TIOCSTI, TIOCLINUX] },
  },
];

export const ERRNO_RULES: readonly ErrnoRule[] = [
  {
    syscall: 'clone3',
    errno: ENOSYS,
    why: 'its flags sit in memory the filter cannot read; ENOSYS makes glibc fall back to clone',
  },
];

/** Denied like everything not allowed; listed so the reasons are written down and tested. */
export const DENIED: readonly SyscallGroup[] = [
  {
    why: 'changing the filesystem view: mount and the new mount API',
    syscalls: [
      'mount', 'umount2', 'open_tree', 'open_tree_attr', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick',
      'mount_setattr', 'statmount', 'listmount', 'pivot_root', 'chroot',
    ],
  },
  { why: 'entering or creating namespaces', syscalls: ['unshare', 'setns'] },
  { why: 'the kernel keyring is not namespaced', syscalls: ['keyctl', 'add_key', 'request_key'] },
  {
    why: 'kernel programming and introspection interfaces with a history of exploits',
    syscalls: ['bpf', 'perf_event_open', 'lookup_dcookie', 'userfaultfd'],
  },
  {
    why: 'io_uring runs operations the filter never sees',
    syscalls: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
  },
  {
    why: "reaching into another process (bwrap's pid 1, sibling children)",
    syscalls: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise', 'process_mrelease'],
  },
  { why: 'file handles bypass path-based confinement', syscalls: ['open_by_handle_at', 'name_to_handle_at'] },
  { why: 'x86 descriptor tables and port I/O', syscalls: ['modify_ldt', 'iopl', 'ioperm'] },
  {
    why: 'NUMA placement of memory affects the host',
    syscalls: ['mbind', 'set_mempolicy', 'get_mempolicy', 'migrate_pages', 'move_pages', 'set_mempolicy_home_node'],
  },
  {
    why: 'machine administration: modules, kexec, reboot, swap, clocks, host names, accounting, quotas, kernel log',
    syscalls: [
      'init_module', 'finit_module', 'delete_module', 'kexec_load', 'kexec_file_load', 'reboot',
      'swapon', 'swapoff', 'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex',
      'sethostname', 'setdomainname', 'acct', 'quotactl', 'quotactl_fd', 'syslog', 'vhangup',
    ],
  },
];
