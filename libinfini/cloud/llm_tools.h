// The chat-completions side of the LLM provider, without I/O: the tool schema generated from
// the business config, the system prompt, the streamed-chunk accumulator, and the validation
// that turns a tool call into an Understanding or rejects it. Exposed for tests.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/business.h"
#include "infini/language_model.h"
#include "infini/status.h"

namespace infini::cloud {

inline constexpr const char* kUnderstandTool = "record_caller_turn";

// The intents a tool call may name (the rule NLU's intent names).
const std::vector<std::string>& ToolIntents();

// [{"type":"function","function":{"name":"record_caller_turn","parameters":{...}}}]:
// intents (enum), service (enum of service ids), staff (enum of resources + "any"), date,
// time, day_part, asap, name, phone, address, vehicle, choice, question. Without a business
// config, service and staff are free strings (and rejected later: nothing to match them to).
nlohmann::json BuildTools(const BusinessConfig* business);

std::string BuildSystemPrompt(const UnderstandingContext& context);

struct ToolCall {
  std::string id, name, arguments;  // arguments: the JSON text as streamed
};

struct ChatUsage {
  int64_t prompt_tokens = 0, completion_tokens = 0;
  bool present = false;
};

// Folds the `data:` payloads of a streamed chat completion (chat.completion.chunk objects,
// tool_calls deltas merged by index, the usage-only last chunk, "[DONE]").
class ChatStream {
 public:
  // Corruption for a payload that is not a chunk; Unavailable for an {"error":...} event.
  Status Feed(const std::string& data);
  bool done() const { return done_; }                   // saw [DONE]
  const std::string& finish_reason() const { return finish_reason_; }
  const std::vector<ToolCall>& tool_calls() const { return calls_; }
  const std::string& content() const { return content_; }
  const ChatUsage& usage() const { return usage_; }

 private:
  bool done_ = false;
  std::string finish_reason_, content_;
  std::vector<ToolCall> calls_;
  ChatUsage usage_;
};

// Checks every call against the schema (unknown tool, bad JSON, unknown keys, wrong types,
// values outside the enums, impossible dates/times) and maps it to slots
// (language_model.h). InvalidArgument naming the first defect; nothing half-accepted.
Result<Understanding> ValidateToolCalls(const std::vector<ToolCall>& calls, const BusinessConfig* business);

}  // namespace infini::cloud
