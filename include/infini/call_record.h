// RecordCallOutcome: writes what a finished Conversation did into the Store.
//
//   std::string summary = infini::RecordCallOutcome(store, call_row, business, conversation.outcome());
//   store.EndCall(call_row, conversation.outcome().outcome, summary);
//
// Actions (book, move, cancel, sms, sms_consent, transfer, voicemail, callback), the voicemail
// (AddVoicemail) and the callback task / lead (AddCallback). Store errors are logged, never fatal:
// the caller's call is over either way. Thread: whichever thread owns the finished Conversation.
#pragma once

#include <cstdint>
#include <string>

#include "infini/business.h"
#include "infini/dialogue.h"
#include "infini/store.h"

namespace infini {

// Returns a one-line summary for Store::EndCall. `now_utc` stamps the records (0 = now).
std::string RecordCallOutcome(Store& store, int64_t call_id, const BusinessConfig& business,
                              const CallOutcome& outcome, int64_t now_utc = 0);

}  // namespace infini
