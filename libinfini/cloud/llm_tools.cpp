#include "cloud/llm_tools.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

namespace infini::cloud {
namespace {

using json = nlohmann::json;

const std::vector<std::string> kDayParts = {"morning", "afternoon", "evening", "first_thing"};

bool IsDigits(const std::string& s, size_t from, size_t n) {
  if (s.size() < from + n) return false;
  for (size_t i = from; i < from + n; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

bool ValidDate(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-' || !IsDigits(d, 0, 4) || !IsDigits(d, 5, 2) || !IsDigits(d, 8, 2))
    return false;
  const int y = std::stoi(d.substr(0, 4)), m = std::stoi(d.substr(5, 2)), day = std::stoi(d.substr(8, 2));
  if (y < 2000 || y > 2200 || m < 1 || m > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return day <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

bool ValidTime(const std::string& t) {
  if (t.size() != 5 || t[2] != ':' || !IsDigits(t, 0, 2) || !IsDigits(t, 3, 2)) return false;
  return std::stoi(t.substr(0, 2)) < 24 && std::stoi(t.substr(3, 2)) < 60;
}

const char* WeekdayName(const std::string& date) {
  if (!ValidDate(date.substr(0, 10))) return "";
  int y = std::stoi(date.substr(0, 4)), m = std::stoi(date.substr(5, 2)), d = std::stoi(date.substr(8, 2));
  static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};  // Sakamoto
  if (m < 3) y -= 1;
  static const char* kNames[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  return kNames[(y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7];
}

std::string Trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

}  // namespace

const std::vector<std::string>& ToolIntents() {
  static const std::vector<std::string> kIntents = {
      "book", "reschedule", "cancel", "question", "leave_message", "human", "emergency",
      "yes", "no", "correction", "goodbye", "dont_know", "repeat"};
  return kIntents;
}

json BuildTools(const BusinessConfig* business) {
  json props = json::object();
  props["intents"] = {
      {"type", "array"},
      {"items", {{"type", "string"}, {"enum", ToolIntents()}}},
      {"description",
       "What the caller wants in this utterance: book/reschedule/cancel an appointment, ask a question, leave a "
       "message, talk to a human, report an emergency, answer yes or no, correct something, say goodbye, say "
       "they don't know, or ask to hear the last thing said again (repeat). Empty if they only gave details."}};
  json service = {{"type", "string"}};
  json staff = {{"type", "string"}};
  if (business) {
    std::vector<std::string> ids;
    std::string described;
    for (const auto& s : business->services) {
      ids.push_back(s.id);
      described += fmt::format("{}{} = {}", described.empty() ? "" : "; ", s.id, s.name);
      for (const auto& syn : s.synonyms) described += ", " + syn;
    }
    service["enum"] = ids;
    service["description"] = "The service the caller asks for, by id: " + described;
    if (!business->resources.empty()) {
      std::vector<std::string> names = business->resources;
      names.push_back("any");
      staff["enum"] = names;
    }
  }
  staff["description"] = "Who the caller wants to see, or \"any\" if anyone is fine.";
  props["service"] = service;
  props["staff"] = staff;
  props["date"] = {{"type", "string"}, {"pattern", "^\\d{4}-\\d{2}-\\d{2}$"},
                   {"description", "Requested day, YYYY-MM-DD, resolved against today's date."}};
  props["time"] = {{"type", "string"}, {"pattern", "^\\d{2}:\\d{2}$"},
                   {"description", "Requested time of day, 24-hour HH:MM, only if the caller said one."}};
  props["day_part"] = {{"type", "string"}, {"enum", kDayParts}};
  props["asap"] = {{"type", "boolean"}, {"description", "The caller wants the earliest possible time."}};
  props["name"] = {{"type", "string"}, {"description", "The caller's full name as they said it."}};
  props["phone"] = {{"type", "string"},
                    {"description", "A phone number the caller gave, digits only; \"caller\" if they mean the "
                                    "number they are calling from."}};
  props["address"] = {{"type", "string"}, {"description", "Street address for the visit."}};
  props["vehicle"] = {{"type", "object"},
                      {"properties",
                       {{"year", {{"type", "integer"}}}, {"make", {{"type", "string"}}}, {"model", {{"type", "string"}}}}},
                      {"additionalProperties", false}};
  props["choice"] = {{"type", "integer"}, {"minimum", 0},
                     {"description", "0-based index of the offered option the caller picked."}};
  props["question"] = {{"type", "string"}, {"description", "The caller's question, if they asked one."}};
  json fn = {{"name", kUnderstandTool},
             {"description", "Record what the caller meant in their last utterance. Leave out anything not said."},
             {"parameters", {{"type", "object"}, {"properties", props}, {"required", {"intents"}},
                             {"additionalProperties", false}}}};
  return json::array({{{"type", "function"}, {"function", fn}}});
}

std::string BuildSystemPrompt(const UnderstandingContext& c) {
  std::string prompt = fmt::format(
      "You are the language-understanding step of a phone receptionist{}. You never speak to the caller. "
      "For every caller utterance call {} exactly once with the caller's intents and the details they gave. "
      "Use only service ids and staff names from the tool schema; omit anything the caller did not say.",
      c.business ? " for " + c.business->name : std::string(), kUnderstandTool);
  if (!c.now_local.empty())
    prompt += fmt::format(" Now (business local time) is {} {}; resolve words like 'tomorrow' or 'next Tuesday' "
                          "against it.", WeekdayName(c.now_local), c.now_local);
  if (!c.expecting.empty()) prompt += fmt::format(" The receptionist just asked for: {}.", c.expecting);
  if (!c.state.empty()) prompt += fmt::format(" Conversation state: {}.", c.state);
  return prompt;
}

Status ChatStream::Feed(const std::string& data) {
  if (data == "[DONE]") {
    done_ = true;
    return Status::OK();
  }
  json chunk = json::parse(data, nullptr, false);
  if (chunk.is_discarded() || !chunk.is_object())
    return Status::Corruption(fmt::format("stream chunk is not JSON: {}", data.substr(0, 120)));
  if (chunk.contains("error")) {
    const auto& e = chunk["error"];
    std::string msg = e.is_object() && e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>()
                                                                                         : e.dump();
    return Status::Unavailable("server error in stream: " + msg);
  }
  if (chunk.contains("usage") && chunk["usage"].is_object()) {
    const auto& u = chunk["usage"];
    usage_.prompt_tokens = u.value("prompt_tokens", int64_t{0});
    usage_.completion_tokens = u.value("completion_tokens", int64_t{0});
    usage_.present = true;
  }
  if (!chunk.contains("choices") || chunk["choices"].is_null()) return Status::OK();  // usage-only chunk (vLLM: null)
  if (!chunk["choices"].is_array()) return Status::Corruption("stream chunk: \"choices\" is not an array");
  for (const auto& choice : chunk["choices"]) {
    if (!choice.is_object()) return Status::Corruption("stream chunk: a choice is not an object");
    if (choice.value("index", 0) != 0) continue;  // n = 1: only the first choice
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string())
      finish_reason_ = choice["finish_reason"].get<std::string>();
    if (!choice.contains("delta") || !choice["delta"].is_object()) continue;
    const auto& delta = choice["delta"];
    if (delta.contains("content") && delta["content"].is_string()) content_ += delta["content"].get<std::string>();
    if (!delta.contains("tool_calls") || delta["tool_calls"].is_null()) continue;
    if (!delta["tool_calls"].is_array()) return Status::Corruption("stream chunk: \"tool_calls\" is not an array");
    for (const auto& tc : delta["tool_calls"]) {
      if (!tc.is_object()) return Status::Corruption("stream chunk: a tool call delta is not an object");
      const int64_t index = tc.contains("index") && tc["index"].is_number_integer() ? tc["index"].get<int64_t>()
                                                                                       : int64_t(calls_.size() ? calls_.size() - 1 : 0);
      if (index < 0 || index > 16) return Status::Corruption(fmt::format("stream chunk: tool call index {}", index));
      if (calls_.size() <= size_t(index)) calls_.resize(size_t(index) + 1);
      ToolCall& call = calls_[size_t(index)];
      if (tc.contains("id") && tc["id"].is_string()) call.id = tc["id"].get<std::string>();
      if (tc.contains("function") && tc["function"].is_object()) {
        const auto& f = tc["function"];
        if (f.contains("name") && f["name"].is_string()) call.name += f["name"].get<std::string>();
        if (f.contains("arguments") && f["arguments"].is_string()) call.arguments += f["arguments"].get<std::string>();
      }
    }
  }
  return Status::OK();
}

Result<Understanding> ValidateToolCalls(const std::vector<ToolCall>& calls, const BusinessConfig* business) {
  if (calls.empty()) return Status::InvalidArgument("no tool call in the answer");
  Understanding u;
  std::vector<std::string> intents;
  for (const auto& call : calls) {
    if (call.name != kUnderstandTool)
      return Status::InvalidArgument(fmt::format("unknown tool '{}' (only {} exists)", call.name, kUnderstandTool));
    json args = json::parse(call.arguments.empty() ? std::string("{}") : call.arguments, nullptr, false);
    if (args.is_discarded() || !args.is_object())
      return Status::InvalidArgument(fmt::format("{} arguments are not a JSON object: {}", call.name,
                                                 call.arguments.substr(0, 120)));
    auto bad = [&](const std::string& key, const std::string& why) {
      return Status::InvalidArgument(fmt::format("{}.{}: {} (got {})", call.name, key, why, args[key].dump()));
    };
    for (auto& [key, value] : args.items()) {
      if (value.is_null()) continue;  // some models send explicit nulls for "not said"
      if (key == "intents") {
        if (!value.is_array()) return bad(key, "must be an array of intent names");
        for (const auto& i : value) {
          if (!i.is_string() || std::find(ToolIntents().begin(), ToolIntents().end(), i.get<std::string>()) ==
                                    ToolIntents().end())
            return bad(key, "unknown intent");
          if (std::find(intents.begin(), intents.end(), i.get<std::string>()) == intents.end())
            intents.push_back(i.get<std::string>());
        }
      } else if (key == "service") {
        if (!value.is_string()) return bad(key, "must be a service id string");
        const std::string id = value.get<std::string>();
        bool known = false;
        if (business)
          for (const auto& s : business->services) known = known || s.id == id;
        if (!known) return bad(key, "unknown service id");
        u.slots["service"] = id;
      } else if (key == "staff") {
        if (!value.is_string()) return bad(key, "must be a string");
        const std::string name = value.get<std::string>();
        bool known = name == "any";
        if (business)
          for (const auto& r : business->resources) known = known || r == name;
        if (!known) return bad(key, "not a staff member of this business");
        u.slots["staff"] = name;
      } else if (key == "date") {
        if (!value.is_string() || !ValidDate(value.get<std::string>())) return bad(key, "must be a real YYYY-MM-DD date");
        u.slots["date"] = value.get<std::string>();
      } else if (key == "time") {
        if (!value.is_string() || !ValidTime(value.get<std::string>())) return bad(key, "must be HH:MM (24 h)");
        u.slots["time"] = value.get<std::string>();
      } else if (key == "day_part") {
        if (!value.is_string() || std::find(kDayParts.begin(), kDayParts.end(), value.get<std::string>()) == kDayParts.end())
          return bad(key, "must be morning, afternoon, evening or first_thing");
        u.slots["day_part"] = value.get<std::string>();
      } else if (key == "asap") {
        if (!value.is_boolean()) return bad(key, "must be a boolean");
        if (value.get<bool>()) u.slots["asap"] = "true";
      } else if (key == "choice") {
        if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 20)
          return bad(key, "must be a small non-negative integer");
        u.slots["choice"] = std::to_string(value.get<int64_t>());
      } else if (key == "name" || key == "address" || key == "question" || key == "phone") {
        if (!value.is_string()) return bad(key, "must be a string");
        std::string text = Trimmed(value.get<std::string>());
        if (text.size() > 200) return bad(key, "longer than 200 characters");
        if (key == "phone") {
          std::string digits;
          for (char c : text)
            if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
          if (text != "caller" && (digits.size() < 7 || digits.size() > 15)) return bad(key, "not a phone number");
          if (text != "caller") text = (text.rfind('+', 0) == 0 ? "+" : "") + digits;
        }
        if (!text.empty()) u.slots[key] = text;
      } else if (key == "vehicle") {
        if (!value.is_object()) return bad(key, "must be an object {year, make, model}");
        for (auto& [vk, vv] : value.items()) {
          if (vv.is_null()) continue;
          if (vk == "year") {
            if (!vv.is_number_integer() || vv.get<int64_t>() < 1900 || vv.get<int64_t>() > 2100) return bad(key, "bad year");
            u.slots["vehicle_year"] = std::to_string(vv.get<int64_t>());
          } else if (vk == "make" || vk == "model") {
            if (!vv.is_string() || vv.get<std::string>().size() > 60) return bad(key, "make/model must be short strings");
            if (!Trimmed(vv.get<std::string>()).empty()) u.slots["vehicle_" + vk] = Trimmed(vv.get<std::string>());
          } else {
            return bad(key, "unknown field '" + vk + "'");
          }
        }
      } else {
        return Status::InvalidArgument(fmt::format("{}: unknown argument '{}'", call.name, key));
      }
    }
  }
  std::string joined;
  for (const auto& i : intents) joined += (joined.empty() ? "" : ",") + i;
  if (!joined.empty()) u.slots["intents"] = joined;
  u.intent = intents.empty() ? (u.slots.empty() ? "unknown" : "inform") : intents.front();
  u.confidence = 0.9;
  return u;
}

}  // namespace infini::cloud
