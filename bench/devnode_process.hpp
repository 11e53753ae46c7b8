// bench/devnode_process.hpp — one `umpire devnode` child process for the benchmark: started pinned to a CPU core,
// its URL read from its log, its CPU time (utime+stime of /proc/PID/stat) sampled, stopped with SIGTERM. Also the
// benchmark process's own CPU time and pinning, so both sides of a run are measured the same way.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace umpire::bench {

struct DevnodeLaunch {
  std::filesystem::path umpire;              // the `umpire` binary
  std::optional<std::filesystem::path> db;   // --db FILE; in memory when empty
  std::optional<int> cpu;                    // pin to this core (sched_setaffinity before exec)
  std::filesystem::path log;                 // stdout and stderr of the child
  std::vector<std::string> extra_args;
};

class DevnodeProcess {
 public:
  // Starts the child and waits (up to 10 s) for the URL it prints. Throws std::runtime_error with its log.
  explicit DevnodeProcess(const DevnodeLaunch& launch);
  ~DevnodeProcess();
  DevnodeProcess(const DevnodeProcess&) = delete;
  DevnodeProcess& operator=(const DevnodeProcess&) = delete;

  const std::string& url() const { return url_; }  // ws://127.0.0.1:PORT/ws
  pid_t pid() const { return pid_; }
  double cpu_seconds() const;  // utime + stime so far, all threads
  // SIGTERM, then SIGKILL after 5 s. True if it exited on its own with status 0 (a clean shutdown).
  bool stop();

 private:
  pid_t pid_ = -1;
  std::string url_;
};

double own_cpu_seconds();            // getrusage(RUSAGE_SELF): user + system, microsecond resolution
double thread_cpu_seconds();         // CLOCK_THREAD_CPUTIME_ID of the calling thread
void pin_this_process(int cpu);      // sched_setaffinity; throws std::runtime_error
std::string cpu_model();             // /proc/cpuinfo "model name" (first)

}  // namespace umpire::bench
