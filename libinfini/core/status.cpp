#include "infini/status.h"

namespace infini {

const char* Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "Invalid argument";
    case Code::kNotFound: return "Not found";
    case Code::kAlreadyExists: return "Already exists";
    case Code::kUnavailable: return "Unavailable";
    case Code::kDeadlineExceeded: return "Deadline exceeded";
    case Code::kCorruption: return "Corruption";
    case Code::kIOError: return "IO error";
    case Code::kUnimplemented: return "Unimplemented";
    case Code::kInternal: return "Internal";
    case Code::kCancelled: return "Cancelled";
    case Code::kPermissionDenied: return "Permission denied";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace infini
