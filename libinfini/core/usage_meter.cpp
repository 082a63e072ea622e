// UsageMeter (infini/cost.h): a call's running usage totals. In core because every provider
// layer reports into it; prices and reports live in the cloud layer (libinfini/cloud/cost.cpp).
#include <cmath>

#include "infini/cost.h"

namespace infini {

void UsageMeter::Add(std::string_view provider, std::string_view kind, double quantity) {
  if (!(quantity > 0) || !std::isfinite(quantity)) return;  // nothing used, or nonsense: not billed
  std::lock_guard lock(mu_);
  totals_[{std::string(provider), std::string(kind)}] += quantity;
}

void UsageMeter::Observe(std::string_view provider, std::string_view metric, double value) {
  std::lock_guard lock(mu_);
  observations_.push_back({std::string(provider), std::string(metric), value});
}

double UsageMeter::Total(std::string_view provider, std::string_view kind) const {
  std::lock_guard lock(mu_);
  auto it = totals_.find({std::string(provider), std::string(kind)});
  return it == totals_.end() ? 0 : it->second;
}

std::vector<UsageEntry> UsageMeter::Totals() const {
  std::lock_guard lock(mu_);
  std::vector<UsageEntry> out;
  for (const auto& [key, q] : totals_) out.push_back({key.first, key.second, q});
  return out;
}

std::vector<Observation> UsageMeter::Observations() const {
  std::lock_guard lock(mu_);
  return observations_;
}

}  // namespace infini
