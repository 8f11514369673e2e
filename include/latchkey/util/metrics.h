// Process-wide counters for the Prometheus text format (GET /metrics).
//
// Every update is one relaxed atomic add on a fixed slot: no lock, no allocation, no map
// lookup, so counting costs /auth a few nanoseconds. Relaxed ordering is enough because each
// counter is read on its own; a scrape may see one counter a request ahead of another.
//
// The counters are process-wide (one registry, as Prometheus client libraries keep one
// default registry) so that the provider clients, the handlers and the FastCGI workers can
// count without every layer passing a registry down; they survive a configuration reload.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "latchkey/net/http_client.h"
#include "latchkey/util/result.h"

namespace latchkey {

enum class CallOutcome { kOk, kHttpError, kTransportError };

class Metrics {
 public:
  void signInStarted() { add(sign_ins_started_); }
  void signInCompleted() { add(sign_ins_completed_); }
  void signInRefused(Errc reason);
  // /auth answers: 200, 401, 403, or anything else.
  void authAnswered(int status);
  void providerCall(ProviderEndpoint endpoint, CallOutcome outcome,
                    std::chrono::steady_clock::duration elapsed);
  void sessionRefreshed() { add(sessions_refreshed_); }
  void reloaded(bool ok) { add(ok ? reloads_ok_ : reloads_refused_); }
  void setWorkers(int count) { workers_.store(count, std::memory_order_relaxed); }
  void workerBusy(int delta) { workers_busy_.fetch_add(delta, std::memory_order_relaxed); }

  // The exposition text, version 0.0.4.
  std::string render() const;

  static constexpr size_t kErrcCount = static_cast<size_t>(Errc::kInternal) + 1;
  static constexpr size_t kEndpointCount = static_cast<size_t>(ProviderEndpoint::kOther) + 1;
  static constexpr size_t kOutcomeCount = 3;
  // Upper bounds in microseconds: 5 ms .. 10 s, the range of a provider round trip.
  static constexpr uint64_t kBucketsMicros[] = {5'000,     10'000,    25'000,    50'000,
                                                100'000,   250'000,   500'000,   1'000'000,
                                                2'500'000, 5'000'000, 10'000'000};
  static constexpr size_t kBucketCount = std::size(kBucketsMicros);

 private:
  using Counter = std::atomic<uint64_t>;
  static void add(Counter& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

  struct Histogram {
    Counter buckets[kBucketCount]{};  // non-cumulative; summed when rendered
    Counter count{0};
    Counter sum_micros{0};
  };

  Counter sign_ins_started_{0};
  Counter sign_ins_completed_{0};
  Counter sign_ins_refused_[kErrcCount]{};
  Counter auth_200_{0};
  Counter auth_401_{0};
  Counter auth_403_{0};
  Counter auth_other_{0};
  Counter provider_calls_[kEndpointCount][kOutcomeCount]{};
  Histogram provider_latency_[kEndpointCount]{};
  Counter sessions_refreshed_{0};
  Counter reloads_ok_{0};
  Counter reloads_refused_{0};
  std::atomic<int> workers_{0};
  std::atomic<int> workers_busy_{0};
};

// The process's registry.
Metrics& metrics();

// Counts a FastCGI worker as busy for its lifetime.
class BusyWorker {
 public:
  BusyWorker() { metrics().workerBusy(1); }
  ~BusyWorker() { metrics().workerBusy(-1); }
  BusyWorker(const BusyWorker&) = delete;
  BusyWorker& operator=(const BusyWorker&) = delete;
};

// Decorates an HttpClient: each call is counted by endpoint and outcome and timed.
class MeteredHttpClient final : public HttpClient {
 public:
  explicit MeteredHttpClient(HttpClient& inner) : inner_(inner) {}
  Result<HttpResponse> send(const HttpRequest& request) override;

 private:
  HttpClient& inner_;
};

std::string_view providerEndpointName(ProviderEndpoint endpoint);

}  // namespace latchkey
