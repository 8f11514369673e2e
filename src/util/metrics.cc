// The Prometheus text exposition format, version 0.0.4:
// https://prometheus.io/docs/instrumenting/exposition_formats/
#include "latchkey/util/metrics.h"

#include <string>

namespace latchkey {
namespace {

constexpr std::string_view kOutcomeNames[] = {"ok", "http_error", "transport_error"};

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// labels: already formatted `a="x",b="y"` (label values here are fixed names, never input).
void sample(std::string& out, std::string_view name, std::string_view labels, uint64_t value) {
  out.append(name);
  if (!labels.empty()) {
    out.append("{").append(labels).append("}");
  }
  out.append(" ").append(std::to_string(value)).append("\n");
}

uint64_t read(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

// Seconds with microsecond precision, as Prometheus expects for *_seconds.
std::string seconds(uint64_t micros) {
  std::string text = std::to_string(micros / 1'000'000) + ".";
  const std::string fraction = std::to_string(micros % 1'000'000);
  text.append(6 - fraction.size(), '0').append(fraction);
  return text;
}

size_t bucketFor(uint64_t micros) {
  size_t i = 0;
  while (i < Metrics::kBucketCount && micros > Metrics::kBucketsMicros[i]) {
    ++i;
  }
  return i;  // kBucketCount: only in +Inf
}

}  // namespace

std::string_view providerEndpointName(ProviderEndpoint endpoint) {
  switch (endpoint) {
    case ProviderEndpoint::kDiscovery:
      return "discovery";
    case ProviderEndpoint::kJwks:
      return "jwks";
    case ProviderEndpoint::kToken:
      return "token";
    case ProviderEndpoint::kRefresh:
      return "refresh";
    case ProviderEndpoint::kUserinfo:
      return "userinfo";
    case ProviderEndpoint::kRevocation:
      return "revocation";
    case ProviderEndpoint::kOther:
      return "other";
  }
  return "other";
}

Metrics& metrics() {
  static Metrics registry;
  return registry;
}

void Metrics::signInRefused(Errc reason) {
  const auto index = static_cast<size_t>(reason);
  if (index < kErrcCount) {
    add(sign_ins_refused_[index]);
  }
}

void Metrics::authAnswered(int status) {
  switch (status) {
    case 200:
      add(auth_200_);
      break;
    case 401:
      add(auth_401_);
      break;
    case 403:
      add(auth_403_);
      break;
    default:
      add(auth_other_);
      break;
  }
}

void Metrics::providerCall(ProviderEndpoint endpoint, CallOutcome outcome,
                           std::chrono::steady_clock::duration elapsed) {
  const auto e = static_cast<size_t>(endpoint);
  const auto o = static_cast<size_t>(outcome);
  if (e >= kEndpointCount || o >= kOutcomeCount) {
    return;
  }
  add(provider_calls_[e][o]);
  const auto micros =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  Histogram& histogram = provider_latency_[e];
  const size_t bucket = bucketFor(micros);
  if (bucket < kBucketCount) {
    add(histogram.buckets[bucket]);
  }
  add(histogram.count);
  histogram.sum_micros.fetch_add(micros, std::memory_order_relaxed);
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(8192);
  header(out, "latchkey_sign_ins_started_total", "counter",
         "Sign-ins sent to the provider (302 from /login).");
  sample(out, "latchkey_sign_ins_started_total", "", read(sign_ins_started_));
  header(out, "latchkey_sign_ins_completed_total", "counter",
         "Sign-ins that ended with a session.");
  sample(out, "latchkey_sign_ins_completed_total", "", read(sign_ins_completed_));
  header(out, "latchkey_sign_ins_refused_total", "counter",
         "Sign-ins that failed or were refused, by reason.");
  for (size_t i = 0; i < kErrcCount; ++i) {
    const uint64_t value = read(sign_ins_refused_[i]);
    // Only reasons that happened: the full list would be ~40 lines of zeros.
    if (value != 0) {
      const std::string labels = "reason=\"" + std::string(errcName(static_cast<Errc>(i))) + "\"";
      sample(out, "latchkey_sign_ins_refused_total", labels, value);
    }
  }
  header(out, "latchkey_auth_answers_total", "counter", "Answers of /auth, by status.");
  sample(out, "latchkey_auth_answers_total", "status=\"200\"", read(auth_200_));
  sample(out, "latchkey_auth_answers_total", "status=\"401\"", read(auth_401_));
  sample(out, "latchkey_auth_answers_total", "status=\"403\"", read(auth_403_));
  sample(out, "latchkey_auth_answers_total", "status=\"other\"", read(auth_other_));

  header(out, "latchkey_provider_calls_total", "counter",
         "Calls to the provider, by endpoint and outcome.");
  for (size_t e = 0; e < kEndpointCount; ++e) {
    const std::string endpoint(providerEndpointName(static_cast<ProviderEndpoint>(e)));
    for (size_t o = 0; o < kOutcomeCount; ++o) {
      sample(out, "latchkey_provider_calls_total",
             "endpoint=\"" + endpoint + "\",outcome=\"" + std::string(kOutcomeNames[o]) + "\"",
             read(provider_calls_[e][o]));
    }
  }
  header(out, "latchkey_provider_call_duration_seconds", "histogram",
         "Time of a call to the provider, by endpoint.");
  for (size_t e = 0; e < kEndpointCount; ++e) {
    const std::string endpoint(providerEndpointName(static_cast<ProviderEndpoint>(e)));
    const Histogram& histogram = provider_latency_[e];
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBucketCount; ++b) {
      cumulative += read(histogram.buckets[b]);
      out.append("latchkey_provider_call_duration_seconds_bucket{endpoint=\"")
          .append(endpoint)
          .append("\",le=\"")
          .append(seconds(kBucketsMicros[b]))
          .append("\"} ")
          .append(std::to_string(cumulative))
          .append("\n");
    }
    const uint64_t count = read(histogram.count);
    const std::string labels = "endpoint=\"" + endpoint + "\"";
    sample(out, "latchkey_provider_call_duration_seconds_bucket", labels + ",le=\"+Inf\"", count);
    out.append("latchkey_provider_call_duration_seconds_sum{")
        .append(labels)
        .append("} ")
        .append(seconds(read(histogram.sum_micros)))
        .append("\n");
    sample(out, "latchkey_provider_call_duration_seconds_count", labels, count);
  }
  header(out, "latchkey_jwks_fetches_total", "counter",
         "Downloads of the provider's signing keys (jwks_uri), by outcome.");
  const auto jwks = static_cast<size_t>(ProviderEndpoint::kJwks);
  for (size_t o = 0; o < kOutcomeCount; ++o) {
    sample(out, "latchkey_jwks_fetches_total", "outcome=\"" + std::string(kOutcomeNames[o]) + "\"",
           read(provider_calls_[jwks][o]));
  }
  header(out, "latchkey_sessions_refreshed_total", "counter",
         "Sessions whose access token was refreshed at the provider.");
  sample(out, "latchkey_sessions_refreshed_total", "", read(sessions_refreshed_));
  header(out, "latchkey_reloads_total", "counter", "Configuration reloads (SIGHUP), by outcome.");
  sample(out, "latchkey_reloads_total", "outcome=\"ok\"", read(reloads_ok_));
  sample(out, "latchkey_reloads_total", "outcome=\"refused\"", read(reloads_refused_));
  header(out, "latchkey_workers", "gauge", "FastCGI worker threads.");
  out.append("latchkey_workers ")
      .append(std::to_string(workers_.load(std::memory_order_relaxed)))
      .append("\n");
  header(out, "latchkey_workers_busy", "gauge", "FastCGI workers serving a request now.");
  out.append("latchkey_workers_busy ")
      .append(std::to_string(workers_busy_.load(std::memory_order_relaxed)))
      .append("\n");
  return out;
}

Result<HttpResponse> MeteredHttpClient::send(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> response = inner_.send(request);
  CallOutcome outcome = CallOutcome::kTransportError;
  if (response) {
    outcome = response->status >= 200 && response->status < 300 ? CallOutcome::kOk
                                                                : CallOutcome::kHttpError;
  }
  metrics().providerCall(request.endpoint, outcome, std::chrono::steady_clock::now() - start);
  return response;
}

}  // namespace latchkey
