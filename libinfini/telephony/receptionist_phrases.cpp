#include "telephony/receptionist_phrases.h"

namespace infini::telephony {

std::vector<std::string> ReceptionistPhrases() {
  return {"what's your name", "may i have your name", "your full name", "what's the best phone number",
          "phone number", "what's the address", "the service address", "what day and time",
          "what time works", "does that sound right", "is that correct", "shall i book", "anything else",
          "is there anything else", "goodbye", "have a great day", "thanks for calling",
          "how can i help you", "what can i help you with", "which service", "what kind of vehicle",
          "the year make and model", "do you have a preference", "any staff member", "we have",
          "would either of those work", "i can offer", "or", "we're closed", "i'm connecting you",
          "please hold", "leave a message", "what would you like the message to say", "you're booked",
          "i've booked", "a text confirmation", "sorry i didn't catch that", "could you repeat that"};
}

}  // namespace infini::telephony
