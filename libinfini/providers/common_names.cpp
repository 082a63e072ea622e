#include "providers/common_names.h"

namespace infini::providers {
namespace {

constexpr std::string_view kFirst[] = {
    // female
    "mary", "patricia", "jennifer", "linda", "elizabeth", "barbara", "susan", "jessica", "karen", "sarah",
    "lisa", "nancy", "sandra", "betty", "ashley", "emily", "kimberly", "margaret", "donna", "michelle",
    "carol", "amanda", "melissa", "deborah", "stephanie", "rebecca", "sharon", "laura", "cynthia", "dorothy",
    "amy", "kathleen", "angela", "shirley", "emma", "brenda", "pamela", "nicole", "anna", "samantha",
    "katherine", "christine", "debra", "rachel", "carolyn", "janet", "maria", "olivia", "heather", "helen",
    "catherine", "diane", "julie", "victoria", "joyce", "lauren", "kelly", "christina", "ruth", "joan",
    "virginia", "judith", "evelyn", "hannah", "andrea", "megan", "cheryl", "jacqueline", "madison", "teresa",
    "abigail", "sophia", "martha", "sara", "gloria", "janice", "kathryn", "ann", "isabella", "judy",
    "charlotte", "julia", "grace", "amber", "alice", "jean", "denise", "frances", "danielle", "natalie",
    "diana", "brittany", "theresa", "kayla", "alexis", "lori", "tiffany", "ava", "mia", "chloe",
    // male
    "james", "robert", "john", "michael", "david", "william", "richard", "joseph", "thomas", "christopher",
    "charles", "daniel", "matthew", "anthony", "mark", "donald", "steven", "andrew", "paul", "joshua",
    "kenneth", "kevin", "brian", "george", "timothy", "ronald", "jason", "edward", "jeffrey", "ryan",
    "jacob", "gary", "nicholas", "eric", "jonathan", "stephen", "larry", "justin", "scott", "brandon",
    "benjamin", "samuel", "gregory", "alexander", "patrick", "frank", "raymond", "jack", "dennis", "jerry",
    "tyler", "aaron", "jose", "adam", "nathan", "henry", "zachary", "douglas", "peter", "kyle",
    "noah", "ethan", "jeremy", "walter", "christian", "keith", "roger", "terry", "austin", "sean",
    "gerald", "carl", "harold", "dylan", "arthur", "lawrence", "jordan", "jesse", "bryan", "billy",
    "bruce", "gabriel", "logan", "alan", "juan", "albert", "willie", "elijah", "wayne", "randy",
    "vincent", "mason", "roy", "ralph", "bobby", "russell", "bradley", "philip", "eugene", "luis",
    // short forms given on the phone
    "pat", "sam", "alex", "chris", "mike", "bob", "jim", "tom", "dave", "joe", "dan", "matt", "tony",
    "nick", "steve", "ben", "kate", "liz", "jen", "jess", "katie", "beth", "sue", "ed", "ted", "ron",
    "jeff", "greg", "rick", "bill", "will", "andy", "josh", "jake", "max", "riley", "taylor", "casey",
    "morgan", "jamie", "kim", "lee",
};

constexpr std::string_view kSurnames[] = {
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
    "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin",
    "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson",
    "walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores",
    "green", "adams", "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts",
    "gomez", "phillips", "evans", "turner", "diaz", "parker", "cruz", "edwards", "collins", "reyes",
    "stewart", "morris", "morales", "murphy", "cook", "rogers", "gutierrez", "ortiz", "morgan", "cooper",
    "peterson", "bailey", "reed", "kelly", "howard", "ramos", "kim", "cox", "ward", "richardson",
    "watson", "brooks", "chavez", "wood", "james", "bennett", "gray", "mendoza", "ruiz", "hughes",
    "price", "alvarez", "castillo", "sanders", "patel", "myers", "long", "ross", "foster", "jimenez",
};

}  // namespace

std::span<const std::string_view> CommonFirstNames() { return kFirst; }
std::span<const std::string_view> CommonSurnames() { return kSurnames; }

}  // namespace infini::providers
