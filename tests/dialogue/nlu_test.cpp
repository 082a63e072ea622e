// Rule NLU: table-driven cases per extractor. "now" is Tuesday 2026-12-08 10:00 unless a
// case says otherwise (the day the shared scenarios are set on).
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <tuple>

#include "dialogue/nlu.h"

using namespace infini::dialogue;

namespace {

const LocalDateTime kTuesday{{2026, 12, 8}, 10, 0};

struct TimeCase {
  const char* text;
  LocalDate date;     // {0,0,0}: no date expected
  int minute;         // -1: no time expected
  DayPart part = DayPart::kAny;
  bool asap = false;
  bool any_time = false;
};

void CheckTime(const TimeCase& c, const LocalDateTime& now) {
  std::string text_(c.text);
  CAPTURE(text_);
  auto t = ExtractTime(c.text, now);
  REQUIRE(t.has_value());
  if (c.date.year) {
    REQUIRE(t->date.has_value());
    CHECK(t->date->year == c.date.year);
    CHECK(t->date->month == c.date.month);
    CHECK(t->date->day == c.date.day);
  } else {
    CHECK_FALSE(t->date.has_value());
  }
  if (c.minute >= 0) {
    REQUIRE(t->minute_of_day.has_value());
    CHECK(*t->minute_of_day == c.minute);
  } else {
    CHECK_FALSE(t->minute_of_day.has_value());
  }
  CHECK(t->part == c.part);
  CHECK(t->asap == c.asap);
  CHECK(t->any_time == c.any_time);
}

std::vector<ServiceRef> Hvac() {
  return {{"ac_repair", "AC repair", {"air conditioner", "ac", "a c", "cooling", "air conditioning"}},
          {"furnace_repair", "Furnace repair", {"furnace", "heater", "heating", "no heat"}},
          {"maintenance", "Seasonal tune-up", {"tune up", "tune-up", "maintenance", "checkup", "inspection"}},
          {"emergency", "Emergency service", {"emergency", "gas smell", "carbon monoxide", "flooding"}}};
}

std::vector<ServiceRef> Salon() {
  return {{"haircut", "Haircut", {"cut", "trim", "hair cut"}},
          {"color", "Color", {"colour", "dye", "highlights", "balayage"}},
          {"blowout", "Blowout", {"blow out", "blow dry", "style"}},
          {"massage", "Massage", {"massages"}}};
}

}  // namespace

TEST_CASE("dates relative to a Tuesday") {
  const TimeCase cases[] = {
      {"tomorrow", {2026, 12, 9}, -1},
      {"today", {2026, 12, 8}, -1},
      {"the day after tomorrow", {2026, 12, 10}, -1},
      {"next Tuesday", {2026, 12, 15}, -1},  // said on a Tuesday: a week later
      {"Tuesday", {2026, 12, 15}, -1},
      {"next Monday", {2026, 12, 14}, -1},
      {"Monday", {2026, 12, 14}, -1},
      {"Wednesday", {2026, 12, 9}, -1},
      {"this Friday", {2026, 12, 11}, -1},
      {"this Tuesday", {2026, 12, 8}, -1},  // "this" includes today
      {"this Saturday", {2026, 12, 12}, -1},
      {"Sunday", {2026, 12, 13}, -1},
      {"the 15th", {2026, 12, 15}, -1},
      {"on the 8th", {2026, 12, 8}, -1},
      {"the 3rd", {2027, 1, 3}, -1},  // already past this month
      {"the fifteenth", {2026, 12, 15}, -1},
      {"the twenty first", {2026, 12, 21}, -1},
      {"December 15th", {2026, 12, 15}, -1},
      {"december 15", {2026, 12, 15}, -1},
      {"January 4th", {2027, 1, 4}, -1},
      {"the 20th of December", {2026, 12, 20}, -1},
      {"Monday the 14th", {2026, 12, 14}, -1},
      {"Friday the 18th", {2026, 12, 18}, -1},
  };
  for (const auto& c : cases) CheckTime(c, kTuesday);
}

TEST_CASE("times of day, with and without a.m./p.m.") {
  const TimeCase cases[] = {
      {"at nine", {}, 540},
      {"at nine a m", {}, 540},
      {"at 9am", {}, 540},
      {"9 a.m.", {}, 540},
      {"at three", {}, 900},  // business hours: 1-6 -> p.m.
      {"two p m", {}, 840},
      {"at 2pm", {}, 840},
      {"at six", {}, 1080},
      {"at seven", {}, 420},
      {"11:45 a m", {}, 705},
      {"8:30", {}, 510},
      {"at 5:30 p.m.", {}, 1050},
      {"noon", {}, 720},
      {"at midday", {}, 720},
      {"half past two", {}, 870},
      {"quarter past nine", {}, 555},
      {"quarter to ten", {}, 585},
      {"nine thirty a m", {}, 570},
      {"at two fifteen", {}, 855},
      {"at ten oh five", {}, 605},
      {"ten o'clock", {}, 600},
      {"twelve p m", {}, 720},
      {"twelve a m", {}, 0},
      {"around six", {}, 1080},
      {"at nine in the morning", {}, 540, DayPart::kMorning},
      {"at two in the afternoon", {}, 840, DayPart::kAfternoon},
      {"at seven in the evening", {}, 1140, DayPart::kEvening},
      {"at 4 in the morning", {}, 240, DayPart::kMorning},
  };
  for (const auto& c : cases) CheckTime(c, kTuesday);
}

TEST_CASE("whole requests as callers say them") {
  const TimeCase cases[] = {
      {"Can someone come out tomorrow at nine in the morning?", {2026, 12, 9}, 540, DayPart::kMorning},
      {"tomorrow at nine a m", {2026, 12, 9}, 540},
      {"next Tuesday at three p m", {2026, 12, 15}, 900},
      {"Then Tuesday at noon.", {2026, 12, 15}, 720},
      {"Oil change Saturday at 11:45 a m?", {2026, 12, 12}, 705},
      {"Thursday around six", {2026, 12, 10}, 1080},
      {"this Friday afternoon", {2026, 12, 11}, -1, DayPart::kAfternoon},
      {"this Saturday morning", {2026, 12, 12}, -1, DayPart::kMorning},
      {"first thing in the morning", {}, -1, DayPart::kFirstThing},
      {"first thing tomorrow", {2026, 12, 9}, -1, DayPart::kFirstThing},
      {"any time Thursday", {2026, 12, 10}, -1, DayPart::kAny, false, true},
      {"as soon as possible", {}, -1, DayPart::kAny, true},
      {"what's the earliest you can see me?", {}, -1, DayPart::kAny, true},
      {"as early as possible today", {2026, 12, 8}, -1, DayPart::kAny, true},
      {"a s a p", {}, -1, DayPart::kAny, true},
      {"I need my tires rotated Friday at 8:30 a m.", {2026, 12, 11}, 510},
      {"Friday at two in the afternoon", {2026, 12, 11}, 840, DayPart::kAfternoon},
      {"I'd like an exam on Wednesday at 9:30 in the morning.", {2026, 12, 9}, 570, DayPart::kMorning},
      {"December 15th at 9", {2026, 12, 15}, 540},
      {"tonight", {2026, 12, 8}, -1, DayPart::kEvening},
  };
  for (const auto& c : cases) CheckTime(c, kTuesday);
}

TEST_CASE("'next <weekday>' on every day of the week is strictly after today") {
  for (int d = 6; d <= 12; ++d) {  // Sunday 2026-12-06 .. Saturday 12-12
    LocalDateTime now{{2026, 12, d}, 9, 0};
    for (int target = 0; target < 7; ++target) {
      static const char* names[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
      auto t = ExtractTime(std::string("next ") + names[target], now);
      REQUIRE(t);
      REQUIRE(t->date);
      int ahead = t->date->day - d + (t->date->month != 12 ? 31 : 0);
      CHECK(ahead >= 1);
      CHECK(ahead <= 7);
      CHECK(t->date->year * 0 + LocalDateTime{*t->date, 0, 0}.weekday() == target);
    }
  }
}

TEST_CASE("dates across the end of the year and month lengths") {
  LocalDateTime nye{{2026, 12, 31}, 9, 0};
  CheckTime({"tomorrow", {2027, 1, 1}, -1}, nye);
  CheckTime({"next Monday", {2027, 1, 4}, -1}, nye);
  CheckTime({"the 31st", {2026, 12, 31}, -1}, nye);
  LocalDateTime feb{{2027, 2, 10}, 9, 0};
  CheckTime({"the 30th", {2027, 3, 30}, -1}, feb);  // February has no 30th
}

TEST_CASE("numbers that are not times stay out of the time slot") {
  CHECK_FALSE(ExtractTime("my number is five one two five five five one two one two", kTuesday));
  CHECK_FALSE(ExtractTime("1200 Oak Street", kTuesday));
  CHECK_FALSE(ExtractTime("a 2015 Ford Focus", kTuesday));
  CHECK_FALSE(ExtractTime("the first one", kTuesday));
  CHECK_FALSE(ExtractTime("blue bananas", kTuesday));
  CHECK_FALSE(ExtractTime("", kTuesday));
}

TEST_CASE("phone numbers in digits and in words") {
  const std::pair<const char*, const char*> cases[] = {
      {"five one two, five five five, seven seven eight eight", "+15125557788"},
      {"512-555-7788", "+15125557788"},
      {"(512) 555-7788", "+15125557788"},
      {"my number is 5125557788", "+15125557788"},
      {"1 512 555 7788", "+15125557788"},
      {"one five one two five five five seven seven eight eight", "+15125557788"},
      {"five one two five five five seventy seven eighty eight", "+15125557788"},
      {"five one two double five five seven seven eight eight", "+15125557788"},
      {"four one oh, five five five, one two one two", "+14105551212"},
      {"three zero three five five five two zero two zero", "+13035552020"},
      {"six one seven, five five five, two two three three", "+16175552233"},
      {"it's 415 555 3456 thanks", "+14155553456"},
      // Recognizers write digits as their homophones (heard over a phone line by pocketsphinx).
      {"six one seven five five five for four five five", "+16175554455"},
      {"five one to five five five zero one two three", "+15125550123"},
      {"five one two five five five seven seven ate ate", "+15125557788"},
      {"it's for four one five five five five one two one too", "+14155551212"},  // a leading "for" is a word
  };
  for (auto [text, want] : cases) {
    std::string text_(text);
    CAPTURE(text_);
    auto got = ExtractPhone(text, "");
    REQUIRE(got.has_value());
    CHECK(*got == want);
  }
}

TEST_CASE("the caller's own number, and too few digits") {
  CHECK(ExtractPhone("my number is the one I'm calling from", "+15125550000") == std::optional<std::string>("+15125550000"));
  CHECK(ExtractPhone("The number I'm calling from is fine.", "+14155550000") == std::optional<std::string>("+14155550000"));
  CHECK(ExtractPhone("this number", "+14155550000") == std::optional<std::string>("+14155550000"));
  CHECK_FALSE(ExtractPhone("the one I'm calling from", ""));  // no caller id: no guess
  CHECK_FALSE(ExtractPhone("five five five one two", ""));
  CHECK_FALSE(ExtractPhone("tomorrow at nine", ""));
  CHECK_FALSE(ExtractPhone("0123456789", ""));  // no US number starts with 0
  CHECK_FALSE(ExtractPhone("i need it for two people to five", ""));  // homophones outside a run
}

TEST_CASE("clock times written as an owner reads them") {
  CHECK(WrittenClockTimes("tomorrow after five p m") == "tomorrow after 5 PM");
  CHECK(WrittenClockTimes("Tomorrow after 5 pm.") == "Tomorrow after 5 PM.");
  CHECK(WrittenClockTimes("after four thirty p m or so") == "after 4:30 PM or so");
  CHECK(WrittenClockTimes("nine oh five a m") == "9:05 AM");
  CHECK(WrittenClockTimes("between ten fifteen am and noon") == "between 10:15 AM and noon");
  CHECK(WrittenClockTimes("after eleven forty five pm!") == "after 11:45 PM!");
  // Without a.m./p.m. nothing changes: "five" may not be a time.
  CHECK(WrittenClockTimes("any weekday after five") == "any weekday after five");
  CHECK(WrittenClockTimes("call me at the number on file") == "call me at the number on file");
  CHECK(WrittenClockTimes("") == "");
}

TEST_CASE("'first day at' is Thursday when no day was heard") {
  NluContext ctx;
  ctx.now = kTuesday;
  auto u = Understand("i'd like teeth whitening mom first day at five thirty p m", ctx);
  REQUIRE(u.time);
  REQUIRE(u.time->date);
  CHECK(u.time->date->day == 10);
  CHECK(u.time->minute_of_day == 17 * 60 + 30);
}

TEST_CASE("'with noon' is a person misheard, not a time: the time said after it counts") {
  NluContext ctx;
  ctx.now = kTuesday;
  auto u = Understand("a haircut with noon on thursday at six p m please", ctx);  // "with Ana", as heard
  REQUIRE(u.time);
  CHECK(u.time->minute_of_day == 18 * 60);
  auto at_noon = Understand("a haircut on thursday at noon please", ctx);
  REQUIRE(at_noon.time);
  CHECK(at_noon.time->minute_of_day == 12 * 60);
}

TEST_CASE("a name asked again: the leading name words of a short answer") {
  CHECK(ExtractLeadingName("sam or to use") == std::optional<std::string>("Sam"));
  CHECK(ExtractLeadingName("it's maria lopez ok") == std::optional<std::string>("Maria Lopez"));
  CHECK(ExtractLeadingName("a the moss") == std::optional<std::string>("Moss"));  // "Ada Moss", first name lost
  CHECK_FALSE(ExtractLeadingName("a the"));
  CHECK_FALSE(ExtractLeadingName("the one on the left of the big store"));  // long: not a name answer
  CHECK_FALSE(ExtractLeadingName("five five five"));
  CHECK_FALSE(ExtractLeadingName(""));
}

TEST_CASE("a name on the last try: the words as heard, fillers dropped") {
  CHECK(NameAsHeard("a m os") == std::optional<std::string>("M Os"));  // "Ada Moss" over the phone
  CHECK(NameAsHeard("i risk role") == std::optional<std::string>("Risk Role"));  // "Iris Cole"
  CHECK(NameAsHeard("it's bolivia wilson thanks") == std::optional<std::string>("Bolivia Wilson"));
  CHECK_FALSE(NameAsHeard("a the"));
  CHECK_FALSE(NameAsHeard("a m"));                 // one letter of words: nothing to read back
  CHECK_FALSE(NameAsHeard("at three thirty"));     // a time, not a name
  CHECK_FALSE(NameAsHeard("five five five 1234"));
  CHECK_FALSE(NameAsHeard("the one on the left of the big store"));  // long: not a name answer
  CHECK_FALSE(NameAsHeard(""));
}

TEST_CASE("which one: the booked first name a misheard answer sounds like") {
  const std::vector<std::string> names = {"Gina", "Mia"};
  CHECK(NameSoundingLike("the one for me or", names) == std::optional<size_t>(1));   // "The one for Mia."
  CHECK(NameSoundingLike("it's for jean a", names) == std::optional<size_t>());      // j: neither (g is not j)
  CHECK(NameSoundingLike("the one for gena", names) == std::optional<size_t>(0));
  CHECK_FALSE(NameSoundingLike("the one for the color", names));  // not a name word
  CHECK_FALSE(NameSoundingLike("the first one", names));          // no "for"
  CHECK_FALSE(NameSoundingLike("for mia", {"Mia", "Max"}));       // two start with m: no guess
  CHECK_FALSE(NameSoundingLike("", names));
}

TEST_CASE("names") {
  const std::tuple<const char*, bool, const char*> cases[] = {
      {"my name is John Smith", false, "John Smith"},
      {"My name's Ashley Moore.", false, "Ashley Moore"},
      {"Hi, this is Maria Lopez, I need an appointment", false, "Maria Lopez"},
      {"John Smith", true, "John Smith"},
      {"Bob Lee", true, "Bob Lee"},
      {"It's Maria Lopez", true, "Maria Lopez"},
      {"Sure, Emily Chen.", true, "Emily Chen"},
      {"Olivia Wilson, thanks", true, "Olivia Wilson"},
      {"you can call me Sam", false, "Sam"},
      {"riley park", true, "Riley Park"},
      {"john smith's", true, "John Smith"},  // a recognizer's possessive
  };
  for (auto [text, expecting, want] : cases) {
    std::string text_(text);
    CAPTURE(text_);
    auto got = ExtractName(text, expecting);
    REQUIRE(got.has_value());
    CHECK(*got == want);
  }
}

TEST_CASE("things that are not names") {
  CHECK_FALSE(ExtractName("Hi", true));
  CHECK_FALSE(ExtractName("yes", true));
  CHECK_FALSE(ExtractName("I need an appointment tomorrow", true));
  CHECK_FALSE(ExtractName("this is an emergency", false));
  CHECK_FALSE(ExtractName("John Smith", false));  // not asked, no "my name is"
  CHECK_FALSE(ExtractName("five one two five five five", true));
  CHECK_FALSE(ExtractName("", true));
}

TEST_CASE("street addresses") {
  const std::tuple<const char*, bool, const char*> cases[] = {
      {"1200 Oak Street", true, "1200 Oak Street"},
      {"It's 1200 Oak Street", false, "1200 Oak Street"},
      {"at 45 North Lamar Blvd apartment 3", false, "45 North Lamar Blvd Apartment 3"},
      {"twelve hundred Oak Street", false, "1200 Oak Street"},
      {"one thousand two hundred oak street", false, "1200 Oak Street"},
      {"two thousand fifteen elm street", false, "2015 Elm Street"},
      {"forty five Elm Drive", false, "45 Elm Drive"},
      {"12 Maple Lane", false, "12 Maple Lane"},
      {"9 Pine Court", false, "9 Pine Court"},
      {"88 Sunset", true, "88 Sunset"},  // no suffix, but it answers "what's the address?"
  };
  for (auto [text, expecting, want] : cases) {
    std::string text_(text);
    CAPTURE(text_);
    auto got = ExtractAddress(text, expecting);
    REQUIRE(got.has_value());
    CHECK(*got == want);
  }
  CHECK_FALSE(ExtractAddress("tomorrow at nine", false));
  CHECK_FALSE(ExtractAddress("88 Sunset", false));
}

TEST_CASE("services by name and synonym, longest match wins") {
  const std::pair<const char*, const char*> hvac[] = {
      {"my air conditioner stopped working", "ac_repair"},
      {"my AC is broken", "ac_repair"},
      {"the a c is out", "ac_repair"},
      {"my furnace isn't heating", "furnace_repair"},
      {"we have no heat", "furnace_repair"},
      {"I'd like a tune-up", "maintenance"},
      {"I'd like to schedule a tune up for my furnace before winter", "maintenance"},
      {"just a seasonal tune up", "maintenance"},
      {"my carbon monoxide alarm is going off", "emergency"},
      {"an inspection please", "maintenance"},
  };
  for (auto [text, want] : hvac) {
    std::string text_(text);
    CAPTURE(text_);
    CHECK(ExtractService(text, Hvac()) == std::optional<std::string>(want));
  }
  const std::pair<const char*, const char*> salon[] = {
      {"a haircut with Ana", "haircut"},
      {"can I get a blowout", "blowout"},
      {"a blow dry", "blowout"},
      {"I'd love a massage", "massage"},
      {"highlights please", "color"},
      {"two massages", "massage"},
  };
  for (auto [text, want] : salon) {
    std::string text_(text);
    CAPTURE(text_);
    CHECK(ExtractService(text, Salon()) == std::optional<std::string>(want));
  }
  CHECK_FALSE(ExtractService("I want to leave a message", Hvac()));
  CHECK_FALSE(ExtractService("", Hvac()));
  // As pocketsphinx wrote "Can you check my brakes" over a phone line; a homophone only when
  // nothing matched as heard.
  const std::vector<ServiceRef> shop = {{"brakes", "Brake inspection", {"brake", "brakes"}},
                                        {"oil_change", "Oil change", {"oil"}}};
  CHECK(ExtractService("can you check my breaks tomorrow at nine a m", shop) == std::optional<std::string>("brakes"));
  CHECK(ExtractService("on my lunch break, an oil change please", shop) == std::optional<std::string>("oil_change"));
  CHECK_FALSE(ExtractService("give me a break", Hvac()));
}

TEST_CASE("staff preference") {
  std::vector<std::string> staff = {"Ana Lopez", "Marco Rossi", "Jess"};
  CHECK(ExtractStaff("a haircut with Ana", staff) == std::optional<std::string>("Ana Lopez"));
  CHECK(ExtractStaff("Marco please", staff) == std::optional<std::string>("Marco Rossi"));
  CHECK(ExtractStaff("Jess, please.", staff) == std::optional<std::string>("Jess"));
  CHECK(ExtractStaff("Anyone is fine.", staff) == std::optional<std::string>("any"));
  CHECK(ExtractStaff("No preference.", staff) == std::optional<std::string>("any"));
  CHECK_FALSE(ExtractStaff("tomorrow at nine", staff));
  std::vector<std::string> techs = {"Tech 1", "Tech 2"};
  CHECK_FALSE(ExtractStaff("my tech friend", techs));
}

TEST_CASE("vehicles") {
  auto v = ExtractVehicle("a 2018 Honda Civic");
  REQUIRE(v);
  CHECK(v->make == "Honda");
  CHECK(v->model == "Civic");
  CHECK(v->year == 2018);
  v = ExtractVehicle("my twenty eighteen Toyota Camry");
  REQUIRE(v);
  CHECK(v->make == "Toyota");
  CHECK(v->model == "Camry");
  CHECK(v->year == 2018);
  v = ExtractVehicle("two thousand fifteen ford focus");
  REQUIRE(v);
  CHECK(v->year == 2015);
  CHECK(v->model == "Focus");
  v = ExtractVehicle("a chevy silverado");
  REQUIRE(v);
  CHECK(v->make == "Chevrolet");
  CHECK(v->year == 0);
  CHECK_FALSE(ExtractVehicle("my car is making noise"));
}

TEST_CASE("choices among offered times") {
  CHECK(ExtractChoice("The first one is fine.") == std::optional<int>(0));
  CHECK(ExtractChoice("the second one, please") == std::optional<int>(1));
  CHECK(ExtractChoice("option 2") == std::optional<int>(1));
  CHECK(ExtractChoice("the later one") == std::optional<int>(1));
  CHECK(ExtractChoice("either is fine") == std::optional<int>(0));
  CHECK_FALSE(ExtractChoice("neither of those"));
}

TEST_CASE("intents") {
  NluContext ctx;
  ctx.now = kTuesday;
  ctx.services = Hvac();
  ctx.caller_phone = "+15125550000";
  const std::pair<const char*, Intent> cases[] = {
      {"Yes, that's right.", Intent::kYes},
      {"yeah", Intent::kYes},
      {"sure", Intent::kYes},
      {"correct", Intent::kYes},
      {"that works", Intent::kYes},
      {"No, that's all. Thank you, bye.", Intent::kNo},
      {"No, that's all. Thank you, bye.", Intent::kGoodbye},
      {"nope", Intent::kNo},
      {"not really", Intent::kNo},
      {"No, neither of those work for me.", Intent::kNo},
      {"No, I said Thursday", Intent::kCorrection},
      {"I meant Friday at ten", Intent::kCorrection},
      {"How much do you charge for a repair?", Intent::kQuestion},
      {"What are your hours?", Intent::kQuestion},
      {"Do you take Aetna insurance?", Intent::kQuestion},
      {"Is there parking at your office?", Intent::kQuestion},
      {"Do you guys have a shuttle or loaner car?", Intent::kQuestion},
      {"I'd like to leave a message for the owner.", Intent::kLeaveMessage},
      {"Take a message please.", Intent::kLeaveMessage},
      {"Can I talk to a real person please?", Intent::kHuman},
      {"I want to speak to a human.", Intent::kHuman},
      {"I think I smell gas near my furnace, this is an emergency!", Intent::kEmergency},
      {"My carbon monoxide alarm is going off!", Intent::kEmergency},
      {"there's water everywhere", Intent::kEmergency},
      {"I'm not sure", Intent::kDontKnow},
      {"I don't know", Intent::kDontKnow},
      {"Hi, I need to book an appointment.", Intent::kBook},
      {"AC repair tomorrow at nine a m please.", Intent::kBook},
      {"Do you have anything for a tune up next Monday at noon?", Intent::kBook},
      {"what's the earliest you can see me?", Intent::kBook},
      {"I need to move my appointment", Intent::kReschedule},
      {"I want to reschedule", Intent::kReschedule},
      {"cancel my cleaning", Intent::kCancel},
      {"goodbye", Intent::kGoodbye},
      {"Sorry, what?", Intent::kRepeat},
      {"sorry", Intent::kRepeat},
      {"Could you repeat that please?", Intent::kRepeat},
      {"Pardon?", Intent::kRepeat},
      {"Sorry, I didn't catch that.", Intent::kRepeat},
      {"come again", Intent::kRepeat},
  };
  for (auto [text, intent] : cases) {
    std::string text_(text);
    CAPTURE(text_);
    CAPTURE(IntentName(intent));
    CHECK(Understand(text, ctx).has(intent));
  }
  // What must NOT be read in.
  CHECK_FALSE(Understand("Can someone come out tomorrow at nine?", ctx).has(Intent::kHuman));
  CHECK_FALSE(Understand("Do you have anything for a tune up next Monday at noon?", ctx).has(Intent::kQuestion));
  CHECK_FALSE(Understand("No, that's all.", ctx).has(Intent::kYes));
  CHECK(Understand("Um, blue bananas.", ctx).intents.empty());
  // A repeat request is the whole turn: words with content are answers.
  CHECK_FALSE(Understand("What time do you open?", ctx).has(Intent::kRepeat));
  CHECK_FALSE(Understand("Sorry, I meant Friday", ctx).has(Intent::kRepeat));
  CHECK_FALSE(Understand("sorry I'm running late so please move my appointment", ctx).has(Intent::kRepeat));
}

TEST_CASE("several slots in one sentence") {
  NluContext ctx;
  ctx.now = kTuesday;
  ctx.services = Hvac();
  auto u = Understand("Hi, my name is John Smith, my AC stopped working, can you come tomorrow at nine? "
                      "I'm at 1200 Oak Street and my number is 512-555-7788.", ctx);
  CHECK(u.name == std::optional<std::string>("John Smith"));
  CHECK(u.service_id == std::optional<std::string>("ac_repair"));
  REQUIRE(u.time);
  CHECK(u.time->date == LocalDate{2026, 12, 9});
  CHECK(u.time->minute_of_day == std::optional<int>(540));
  CHECK(u.address == std::optional<std::string>("1200 Oak Street"));
  CHECK(u.phone == std::optional<std::string>("+15125557788"));
  CHECK(u.has(Intent::kBook));
}

TEST_CASE("what the agent just asked for decides bare answers") {
  NluContext ctx;
  ctx.now = kTuesday;
  ctx.expecting = "time";
  auto u = Understand("nine", ctx);
  REQUIRE(u.time);
  CHECK(u.time->minute_of_day == std::optional<int>(540));
  ctx.expecting = "name";
  CHECK(Understand("Bob Lee", ctx).name == std::optional<std::string>("Bob Lee"));
  ctx.expecting = "";
  CHECK_FALSE(Understand("Bob Lee", ctx).name);
  ctx.expecting = "phone";
  u = Understand("five one two five five five zero one two three", ctx);
  CHECK(u.phone == std::optional<std::string>("+15125550123"));
  CHECK_FALSE(u.time);
}

TEST_CASE("urgency words are collected even in a normal booking") {
  NluContext ctx;
  ctx.now = kTuesday;
  ctx.services = Hvac();
  auto u = Understand("we have no heat and the baby is cold, can you come tomorrow at nine", ctx);
  CHECK(std::find(u.urgency_words.begin(), u.urgency_words.end(), "no heat") != u.urgency_words.end());
  CHECK(u.has(Intent::kBook));
  CHECK_FALSE(u.has(Intent::kEmergency));
}

TEST_CASE("keypad digits") {
  CHECK(DigitsOnly("5125557788#") == std::optional<std::string>("5125557788"));
  CHECK(DigitsOnly("1") == std::optional<std::string>("1"));
  CHECK_FALSE(DigitsOnly("five"));
  CHECK_FALSE(DigitsOnly("#"));
}

TEST_CASE("garbage never crashes and finds nothing wild") {
  NluContext ctx;
  ctx.now = kTuesday;
  ctx.services = Hvac();
  ctx.staff = {"Tech 1"};
  ctx.caller_phone = "+15125550000";
  std::mt19937 rng(2026);
  std::uniform_int_distribution<int> len(0, 80), byte(0, 255), pick(0, 40);
  static const char* words[] = {"at", "the", "nine", "a", "m", "p", "next", "tuesday", "half", "past",
                                "quarter", "to", "my", "name", "is", "oh", "double", "hundred", "street",
                                "twenty", "first", "of", "december", "this", "is", "'", ":", "-", "12:",
                                ":30", "thirty", "o'clock", "5", "15th", "toyota", "a c", "?", "no", "yes",
                                "cancel", "bye"};
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    int n = len(rng);
    if (i % 2 == 0) {
      for (int k = 0; k < n; ++k) s += static_cast<char>(byte(rng));
    } else {
      for (int k = 0; k < n / 4; ++k) s += std::string(words[pick(rng)]) + " ";
    }
    auto u = Understand(s, ctx);
    if (u.time && u.time->minute_of_day) {
      CHECK(*u.time->minute_of_day >= 0);
      CHECK(*u.time->minute_of_day < 24 * 60);
    }
    if (u.phone) CHECK(u.phone->size() == 12);
  }
}
