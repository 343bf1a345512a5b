#include "lanlord/trust.hpp"

namespace lanlord {

Status TrustConfig::validate() const {
  if (max_clock_skew <= Duration::zero()) {
    return Status::error("max_clock_skew must be positive");
  }
  if (max_members == 0) return Status::error("max_members must be at least 1");
  if (new_ids_per_second == 0) return Status::error("new_ids_per_second must be at least 1");
  if (max_send_rate == 0) return Status::error("max_send_rate must be at least 1");
  return Status::ok();
}

}  // namespace lanlord
