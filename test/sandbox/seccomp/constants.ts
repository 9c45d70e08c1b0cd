// Kernel constants the seccomp tests share (from the uapi headers; the same on x86_64 and aarch64).

/** 2^32: adding it sets only the high half of a 64-bit syscall argument. */
export const HIGH = 1n << 32n;
export const SIGCHLD = 17;

/** clone() flags that create namespaces: each one must be refused. */
export const CLONE_NS_FLAGS: Record<string, number> = {
  CLONE_NEWNS: 0x00020000,
  CLONE_NEWCGROUP: 0x02000000,
  CLONE_NEWUTS: 0x04000000,
  CLONE_NEWIPC: 0x08000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
};
