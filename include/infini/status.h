// Status and Result<T>: how every libinfini boundary reports failure.
//
//   infini::Result<Wav> wav = infini::ReadWav("call.wav");
//   if (!wav.ok()) { log(wav.status().ToString()); return; }
//   use(wav.value());
//
// No exception crosses the public API. A Status carries a code (for decisions)
// and a message (for logs, naming what was wrong and where). Thread-safe: values.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace infini {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,   // the caller passed something malformed
    kNotFound,          // a file, record, voice or provider that does not exist
    kAlreadyExists,     // e.g. a slot that is already booked
    kUnavailable,       // a provider or service that failed or is unreachable
    kDeadlineExceeded,  // a provider that did not answer in time
    kCorruption,        // malformed file or data (truncated WAV, bad JSON)
    kIOError,
    kUnimplemented,
    kInternal,
    kCancelled,
    kPermissionDenied,
  };

  Status() = default;  // OK
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status DeadlineExceeded(std::string msg) { return {Code::kDeadlineExceeded, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Unimplemented(std::string msg) { return {Code::kUnimplemented, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  static Status Cancelled(std::string msg) { return {Code::kCancelled, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) { return {Code::kPermissionDenied, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsDeadlineExceeded() const { return code_ == Code::kDeadlineExceeded; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }

  // "OK" or "<code name>: <message>".
  std::string ToString() const;
  static const char* CodeName(Code code);

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status saying why there is none.
// REQUIRES: value() only when ok(); constructing from an OK Status is a programmer error.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T value_or(T fallback) const { return ok() ? *value_ : std::move(fallback); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace infini

// Propagate a non-OK Status from an expression returning Status.
#define INFINI_RETURN_IF_ERROR(expr)               \
  do {                                             \
    ::infini::Status infini_status_ = (expr);      \
    if (!infini_status_.ok()) return infini_status_; \
  } while (0)
