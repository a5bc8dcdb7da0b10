// Preloaded (NODE_OPTIONS --require) into every service process the local deploy target starts:
// exits the service when the process that started it is gone, even if that one was SIGKILLed and
// could not clean up. Linux has no portable "die with parent" for Node children, so poll the ppid.
const startedBy = Number(process.env.VOUCH_PARENT_PID);
if (Number.isInteger(startedBy) && startedBy > 0 && process.ppid === startedBy) {
  const timer = setInterval(() => {
    if (process.ppid !== startedBy) process.exit(0);
  }, 250);
  timer.unref();
}
