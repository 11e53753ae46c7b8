// bench/devnode_process.cpp — fork/exec of the devnode, /proc and getrusage readings (see the header).
#include "devnode_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace umpire::bench {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The devnode prints "url ws://HOST:PORT/ws" once it listens.
std::optional<std::string> url_in_log(const std::string& log) {
  const auto at = log.find("\nurl ");
  if (at == std::string::npos) return std::nullopt;
  const auto end = log.find('\n', at + 5);
  if (end == std::string::npos) return std::nullopt;
  return log.substr(at + 5, end - at - 5);
}

[[noreturn]] void exec_child(const DevnodeLaunch& launch, std::vector<std::string> args) {
  const int fd = ::open(launch.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
  }
  if (launch.cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(*launch.cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) ::_exit(126);
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

}  // namespace

DevnodeProcess::DevnodeProcess(const DevnodeLaunch& launch) {
  std::vector<std::string> args{launch.umpire.string(), "devnode", "--listen", "127.0.0.1:0"};
  if (launch.db) args.insert(args.end(), {"--db", launch.db->string()});
  args.insert(args.end(), launch.extra_args.begin(), launch.extra_args.end());
  // Empty the log before forking: a log left by an earlier run in the same work directory would otherwise be read
  // (with that run's dead URL) before the child gets to truncate it.
  if (const int fd = ::open(launch.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) exec_child(launch, std::move(args));
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (auto url = url_in_log(read_text(launch.log))) {
      url_ = *url;
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("the devnode exited at start; its log:\n" + read_text(launch.log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop();
  throw std::runtime_error("the devnode printed no URL within 10 s; its log:\n" + read_text(launch.log));
}

DevnodeProcess::~DevnodeProcess() { stop(); }

double DevnodeProcess::cpu_seconds() const {
  const std::string stat = read_text("/proc/" + std::to_string(pid_) + "/stat");
  const auto paren = stat.rfind(')');  // the command name may contain spaces; the fields follow its ')'
  if (paren == std::string::npos) throw std::runtime_error("cannot read /proc/" + std::to_string(pid_) + "/stat");
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {  // field 3 is the state; 14 utime, 15 stime (clock ticks)
    if (index == 14) utime = std::stoull(field);
    if (index == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

bool DevnodeProcess::stop() {
  if (pid_ <= 0) return false;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int attempt = 0; attempt < 500; ++attempt) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return false;
}

double own_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

void pin_this_process(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) {
    throw std::runtime_error("cannot pin the load generator to CPU " + std::to_string(cpu));
  }
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

}  // namespace umpire::bench
