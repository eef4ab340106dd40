import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeSources } from "../../src/deploy/analyze.js";
import { isHighEntropy } from "../../src/deploy/analyze-secrets.js";

// Fake credentials assembled at runtime so that this file itself does not look like it leaks keys.
const OPENAI = ["sk-proj", "Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"].join("-");
const ANTHROPIC = ["sk-ant", "api03", "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2"].join("-");
const AWS = ["AKIA", "Q3RZ7TXM2WBN5KDP"].join("");
const GITHUB = ["ghp", "R8kT2mW9xQ4vB7nL1pZ6cJ3hY5sD0fG8aE2u"].join("_");
const SLACK = ["xoxb", "1234567890", "AbCdEfGhIjKl"].join("-");
const STRIPE = ["sk", "live", "4eC39HqLyjWDarjtT1zdp7dc"].join("_");
const PEM = ["-----BEGIN RSA", "PRIVATE KEY-----"].join(" ");
const GENERIC = "Tr0ub4dor&3x";
const RANDOM = "q8Zk3Vn7Wm2Xp9Lr4Ts6Yb1Hc5";

describe("secret detection", () => {
  const files = {
    "agent.ts": [
      `const openai = "${OPENAI}";`,
      `const anthropic = "${ANTHROPIC}";`,
      `// old key: ${AWS}`,
      `const gh = '${GITHUB}';`,
      `const slack = \`${SLACK}\`;`,
      `const stripe = "${STRIPE}";`,
      `const pem = "${PEM}";`,
      `const config = { api_key: "${GENERIC}" };`,
      `const blob = "${RANDOM}";`,
      'const placeholder = "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxx";',
      'const token = "your-token-here";',
      'const tokenType = "access_token";',
    ].join("\n"),
    ".env": `OPENAI_API_KEY=${GENERIC}\nDEBUG=true\n`,
  };
  const result = analyzeSources(files);

  it("reports type, file, line and severity for each known pattern, generic assignment and entropy hit", () => {
    assert.deepEqual(result.secrets, [
      { type: "generic_secret", file: ".env", line: 1, severity: "medium" },
      { type: "openai_api_key", file: "agent.ts", line: 1, severity: "high" },
      { type: "anthropic_api_key", file: "agent.ts", line: 2, severity: "high" },
      { type: "aws_access_key_id", file: "agent.ts", line: 3, severity: "high" },
      { type: "github_token", file: "agent.ts", line: 4, severity: "high" },
      { type: "slack_token", file: "agent.ts", line: 5, severity: "high" },
      { type: "stripe_live_key", file: "agent.ts", line: 6, severity: "high" },
      { type: "private_key", file: "agent.ts", line: 7, severity: "high" },
      { type: "generic_secret", file: "agent.ts", line: 8, severity: "medium" },
      { type: "high_entropy_string", file: "agent.ts", line: 9, severity: "low" },
    ]);
  });

  it("never includes a secret value, or any part of one, in the result", () => {
    const json = JSON.stringify(result);
    for (const value of [OPENAI, ANTHROPIC, AWS, GITHUB, SLACK, STRIPE, GENERIC, RANDOM]) {
      assert.ok(!json.includes(value), `value leaked: ${value.slice(0, 4)}…`);
      assert.ok(!json.includes(value.slice(-8)), `suffix leaked: ${value.slice(0, 4)}…`);
    }
  });
});

describe("isHighEntropy", () => {
  it("flags random base64-like literals of 20+ characters at 4.5 bits/char and long random hex at 3.0", () => {
    assert.equal(isHighEntropy(RANDOM), true);
    assert.equal(isHighEntropy("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"), true);
  });

  it("ignores short strings, words, repeated characters, URLs and short hex", () => {
    assert.equal(isHighEntropy("q8Zk3Vn7Wm2Xp9"), false);
    assert.equal(isHighEntropy("createOpenAIToolsAgentExecutor"), false);
    assert.equal(isHighEntropy("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"), false);
    assert.equal(isHighEntropy("https://api.example.com/v1/x9Yz"), false);
    assert.equal(isHighEntropy("9f86d081884c7d659a2f"), false);
  });
});
