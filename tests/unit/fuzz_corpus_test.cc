// Replays every checked-in fuzz input (tests/fuzz/corpus/<target>/) through the same entry
// functions the libFuzzer targets use, so the seeds and every crash kept as a regression case
// run under the ordinary g++ unit and ASan builds too, without clang or libFuzzer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../fuzz/fuzz_targets.h"

namespace latchkey {
namespace {

namespace fs = std::filesystem;

// The corpus next to this file when the build runs from the repository root (make), else
// relative to the working directory.
fs::path corpusRoot() {
  const fs::path beside = fs::path(__FILE__).parent_path() / ".." / "fuzz" / "corpus";
  if (fs::is_directory(beside)) {
    return beside;
  }
  return fs::path("tests") / "fuzz" / "corpus";
}

std::vector<fs::path> corpusFiles(const char* target) {
  std::vector<fs::path> files;
  const fs::path dir = corpusRoot() / target;
  if (!fs::is_directory(dir)) {
    return files;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string readAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every target has seeds, and each one runs to the end (a property failure aborts the test
// binary and names the input).
TEST(FuzzCorpus, EveryTargetReplaysItsCorpusCleanly) {
  for (const fuzz::Target& target : fuzz::kTargets) {
    const auto files = corpusFiles(target.name);
    EXPECT_FALSE(files.empty()) << "no corpus for fuzz target " << target.name << " under "
                                << corpusRoot();
    for (const fs::path& file : files) {
      const std::string bytes = readAll(file);
      SCOPED_TRACE(file.string());
      fuzz::currentInputLabel() = file.string();
      const int rc = target.run(reinterpret_cast<const uint8_t*>(bytes.data()),  // NOLINT
                                bytes.size());
      EXPECT_EQ(rc, 0) << file;
    }
    fuzz::currentInputLabel().clear();
  }
}

// The empty input and a lone mode byte are the smallest inputs libFuzzer tries first.
TEST(FuzzCorpus, EmptyAndOneByteInputsAreHandled) {
  for (const fuzz::Target& target : fuzz::kTargets) {
    SCOPED_TRACE(target.name);
    EXPECT_EQ(target.run(nullptr, 0), 0);
    for (uint8_t mode = 0; mode < 16; ++mode) {
      EXPECT_EQ(target.run(&mode, 1), 0);
    }
  }
}

// The harness's own signing and sealing are accepted by the real code, so modes that sign
// fuzz bytes reach the parsers behind the signature instead of stopping at it.
TEST(FuzzCorpus, HarnessSignaturesReachTheCodeBehindThem) {
  const std::string token =
      fuzz::signer().compact(fuzz::FixedSigner::kHeader, fuzz::goodClaims(true));
  auto claims = verifyIdToken(token, fuzz::fixedKeys(), fuzz::expectations());
  ASSERT_TRUE(claims.has_value()) << claims.error().detail;
  EXPECT_EQ(claims->sub, "user-1");

  const auto& cookies = fuzz::cookieFixture();
  auto session = cookies.codec.openSession(
      cookies.forger.seal(
          "session", R"({"sub":"u","iat":1700000000,"exp":1700003600})",
          cookies.forger.encrypt(R"({"a":"at","r":"rt"})", "latchkey|v1|session|tokens")),
      fuzz::kNow);
  ASSERT_TRUE(session.has_value()) << session.error().detail;
  EXPECT_EQ(session->refresh_token, "rt");
}

// With the canned answers alone, both providers sign in: the fuzzed answer is the only
// thing standing between each mode and success.
TEST(FuzzCorpus, ProviderFixtureSignsInWithCannedAnswers) {
  auto& fx = fuzz::providerFixture();
  CodeRedemption redemption{"code-1", "verifier-0123456789012345678901234567890123",
                            std::string(fuzz::kNonce)};
  auto oidc = fx.oidc->redeemCode(redemption);
  ASSERT_TRUE(oidc.has_value()) << oidc.error().detail;
  EXPECT_EQ(oidc->identity.email, "alice@example.com");
  auto github = fx.github->redeemCode(redemption);
  ASSERT_TRUE(github.has_value()) << github.error().detail;
  EXPECT_EQ(github->identity.sub, "42");
}

}  // namespace
}  // namespace latchkey
