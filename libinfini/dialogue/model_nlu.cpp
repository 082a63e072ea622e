#include "dialogue/model_nlu.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "dialogue/scheduler.h"
#include "infini/log.h"

namespace infini::dialogue {
namespace {

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool ParseInt(const std::string& s, int lo, int hi, int* out) {
  if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return false;
  const int v = std::stoi(s);
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

Result<Understanding> FromModelUnderstanding(const infini::Understanding& model, const NluContext& ctx,
                                             const BusinessConfig& biz) {
  Understanding u;
  auto slot = [&](const char* key) -> const std::string* {
    auto it = model.slots.find(key);
    return it == model.slots.end() || it->second.empty() ? nullptr : &it->second;
  };
  auto bad = [](const char* key, const std::string& value, const char* why) {
    return Status::InvalidArgument(fmt::format("model slot {}='{}': {}", key, value, why));
  };
  std::vector<std::string> intents;
  if (auto v = slot("intents")) intents = SplitComma(*v);
  else if (!model.intent.empty() && model.intent != "unknown" && model.intent != "inform") intents = {model.intent};
  for (const auto& name : intents) {
    bool known = false;
    for (Intent i : {Intent::kBook, Intent::kQuestion, Intent::kLeaveMessage, Intent::kHuman, Intent::kEmergency,
                     Intent::kYes, Intent::kNo, Intent::kCorrection, Intent::kGoodbye, Intent::kDontKnow,
                     Intent::kReschedule, Intent::kCancel, Intent::kRepeat}) {
      if (name == IntentName(i)) {
        if (!u.has(i)) u.intents.push_back(i);
        known = true;
      }
    }
    if (!known) return bad("intents", name, "unknown intent");
  }
  if (auto v = slot("service")) {
    if (!biz.FindService(*v)) return bad("service", *v, "no such service id in this business");
    u.service_id = *v;
  }
  if (auto v = slot("staff")) {
    if (*v != "any" && std::find(biz.resources.begin(), biz.resources.end(), *v) == biz.resources.end())
      return bad("staff", *v, "not a staff member of this business");
    u.staff = *v;
  }
  TimeRequest t;
  if (auto v = slot("date")) {
    int y, m, d;
    if (v->size() != 10 || (*v)[4] != '-' || (*v)[7] != '-' || !ParseInt(v->substr(0, 4), 2000, 2200, &y) ||
        !ParseInt(v->substr(5, 2), 1, 12, &m) || !ParseInt(v->substr(8, 2), 1, 31, &d))
      return bad("date", *v, "not YYYY-MM-DD");
    LocalMinute day = MakeLocalMinute(y, m, d, 0, 0);
    int yy, mm, dd, h, mi;
    SplitLocalMinute(day, &yy, &mm, &dd, &h, &mi);
    if (yy != y || mm != m || dd != d) return bad("date", *v, "no such day");
    LocalMinute today = MakeLocalMinute(ctx.now.date.year, ctx.now.date.month, ctx.now.date.day, 0, 0);
    if (ctx.now.date.year && day < today) return bad("date", *v, "in the past");
    t.date = LocalDate{y, m, d};
  }
  if (auto v = slot("time")) {
    int h, mi;
    if (v->size() != 5 || (*v)[2] != ':' || !ParseInt(v->substr(0, 2), 0, 23, &h) || !ParseInt(v->substr(3, 2), 0, 59, &mi))
      return bad("time", *v, "not HH:MM");
    t.minute_of_day = h * 60 + mi;
  }
  if (auto v = slot("day_part")) {
    if (*v == "morning") t.part = DayPart::kMorning;
    else if (*v == "afternoon") t.part = DayPart::kAfternoon;
    else if (*v == "evening") t.part = DayPart::kEvening;
    else if (*v == "first_thing") t.part = DayPart::kFirstThing;
    else return bad("day_part", *v, "unknown day part");
  }
  if (auto v = slot("asap")) t.asap = *v == "true";
  if (!t.empty()) u.time = t;
  if (auto v = slot("name")) u.name = *v;
  if (auto v = slot("address")) u.address = *v;
  if (auto v = slot("phone")) {
    if (*v == "caller") {
      if (!ctx.caller_phone.empty()) u.phone = ctx.caller_phone;
    } else {
      auto e164 = ExtractPhone(*v, ctx.caller_phone, ctx.default_region);
      if (!e164) return bad("phone", *v, "not a phone number");
      u.phone = *e164;
    }
  }
  if (slot("vehicle_make") || slot("vehicle_model")) {
    Vehicle veh;
    if (auto v = slot("vehicle_make")) veh.make = *v;
    if (auto v = slot("vehicle_model")) veh.model = *v;
    if (auto v = slot("vehicle_year"); v && !ParseInt(*v, 1900, 2100, &veh.year)) return bad("vehicle_year", *v, "not a year");
    u.vehicle = veh;
  }
  if (auto v = slot("choice")) {
    int c;
    if (!ParseInt(*v, 0, 20, &c)) return bad("choice", *v, "not a small index");
    u.choice = c;
  }
  if (auto v = slot("question")) u.faq_query = *v;
  return u;
}

Understanding UnderstandTurn(std::string_view text, const NluContext& context, const BusinessConfig& business,
                             LanguageModel* model, UnderstandingContext extra, TurnSource* source) {
  TurnSource local;
  TurnSource& src = source ? *source : local;
  src = {};
  if (model) {
    extra.business = &business;
    extra.expecting = context.expecting;
    extra.caller_phone = context.caller_phone;
    if (extra.now_local.empty() && context.now.date.year)
      extra.now_local = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}", context.now.date.year, context.now.date.month,
                                    context.now.date.day, context.now.hour, context.now.minute);
    Result<infini::Understanding> answer = Status::Unavailable("language model threw");
    try {
      answer = model->Understand(std::string(text), extra);
    } catch (const std::exception& e) {
      answer = Status::Unavailable(fmt::format("{} threw: {}", model->name(), e.what()));
    } catch (...) {
    }
    if (answer.ok()) {
      auto mapped = FromModelUnderstanding(*answer, context, business);
      if (mapped.ok()) {
        src.by_model = true;
        return std::move(mapped).value();
      }
      src.why_rules = mapped.status().message();
      INFINI_LOG(kWarn, "dialogue: language model answer rejected, rule NLU takes the turn: {}", src.why_rules);
    } else {
      // Unimplemented: the chain reached "rules". Alone ("rules: ...") that is the plan, not a
      // failure; after other members it carries their error (already logged by the chain).
      const bool planned = answer.status().code() == Status::Code::kUnimplemented &&
                           answer.status().message().rfind("rules:", 0) == 0;
      if (!planned) src.why_rules = answer.status().message();
      if (answer.status().code() != Status::Code::kUnimplemented)
        INFINI_LOG(kWarn, "dialogue: language model failed, rule NLU takes the turn: {}", answer.status().ToString());
    }
  }
  return Understand(text, context);
}

}  // namespace infini::dialogue
