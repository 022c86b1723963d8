/**
 * The text files of a fake v0.5.x release, in the shape GenLayer's tarballs have them (abridged;
 * written for the sandbox after GenLayer's published procedure and docs: genlayerlabs/skills
 * plugins/genlayernode/skills/genlayernode/*.md, genlayerlabs/genlayer-docs
 * content/validators/{config.yaml,docker-compose-monitoring.yaml,alloy-config.river,
 * greybox-setup-guide.md} and pages/validators/{setup-guide,genvm-configuration}.mdx).
 *
 * Backends and their key names (`${ENV[NAME]}`) follow GenLayer's provider mapping:
 * HEURISTKEY heurist, COMPUT3KEY comput3, IOINTELLIGENCEKEY ionet, LIBERTAI_API_KEY libertai,
 * ANTHROPICKEY anthropic, GEMINIKEY google, OPENROUTERKEY openrouter, OPENAIKEY openai,
 * MORPHEUS_API_KEY morpheus.
 */

export const LUA_DEFAULT = 'genvm-llm-default.lua';
export const LUA_GREYBOX = 'genvm-llm-greybox.lua';

/** The genvm-module-llm.yaml a v0.5 release ships: fewer backends, the default strategy. */
export const V05_LLM_CONFIG = `# GenVM LLM module (shipped default). Providers are the keys of \`backends\`; a backend
# without \`enabled\` is enabled; a backend whose key is empty is switched off at start-up.
bind_address: 127.0.0.1:3031
lua_script_path: \${exeDir}/../config/${LUA_DEFAULT}
vm_count: 6
signer_url: "http://localhost:9155/genvm/sign"
timeout: 3m
backends:
  heurist:
    host: https://llm-gateway.heurist.xyz
    provider: openai-compatible
    key: \${ENV[HEURISTKEY]}
    models:
      meta-llama/llama-3.3-70b-instruct: {supports_json: true, supports_image: false}
  ionet:
    host: https://api.intelligence.io.solutions/api
    provider: openai-compatible
    key: \${ENV[IOINTELLIGENCEKEY]}
    models:
      meta-llama/Llama-3.3-70B-Instruct: {supports_json: true, supports_image: false}
  openai:
    enabled: false
    host: https://api.openai.com
    provider: openai-compatible
    key: \${ENV[OPENAIKEY]}
    models:
      gpt-4o: {supports_json: true, supports_image: true}
  anthropic:
    enabled: false
    host: https://api.anthropic.com
    provider: anthropic
    key: \${ENV[ANTHROPICKEY]}
    models:
      claude-haiku-4-5-20251001: {supports_json: true, supports_image: true}
  google:
    host: https://generativelanguage.googleapis.com
    provider: google
    key: \${ENV[GEMINIKEY]}
    models:
      gemini-2.5-flash: {supports_json: true, supports_image: true}
prompt_templates:
  eq_comparative: "compare #{leader_answer} with #{validator_answer}"
`;

/**
 * genvm-modules-llm-release.yaml (v0.5.7+): every backend, openrouter and morpheus among them,
 * with the `meta.greybox` chain order the greybox script reads. GenLayer's procedure copies it
 * over genvm-module-llm.yaml, then switches lua_script_path for greybox, then enables providers.
 */
export const V05_LLM_RELEASE_CONFIG = `# GenVM LLM module, release configuration: every backend GenLayer supports.
# Copy over genvm-module-llm.yaml; for the greybox strategy point lua_script_path at
# ${LUA_GREYBOX} (it needs OPENROUTERKEY).
bind_address: 127.0.0.1:3031
lua_script_path: \${exeDir}/../config/${LUA_DEFAULT}
vm_count: 6
signer_url: "http://localhost:9155/genvm/sign"
timeout: 3m
backends:
  openrouter:
    enabled: true
    host: https://openrouter.ai/api
    provider: openai-compatible
    key: \${ENV[OPENROUTERKEY]}
    models:
      deepseek/deepseek-v3.2:
        supports_json: true
        meta: {greybox: {text: 1}}
      qwen/qwen3-235b-a22b:
        supports_json: true
        meta: {greybox: {text: 2}}
      anthropic/claude-haiku-4.5:
        supports_json: true
        supports_image: true
        meta: {greybox: {text: 3, image: 3}}
      openai/gpt-5.1-mini:
        supports_json: true
        supports_image: true
        meta: {greybox: {image: 1}}
      google/gemini-3-flash:
        supports_json: true
        supports_image: true
        meta: {greybox: {image: 2}}
  morpheus:
    host: https://api.mor.org/api
    provider: openai-compatible
    key: \${ENV[MORPHEUS_API_KEY]}
    models:
      llama-3.3-70b: {supports_json: true, supports_image: false}
  heurist:
    host: https://llm-gateway.heurist.xyz
    provider: openai-compatible
    key: \${ENV[HEURISTKEY]}
    models:
      meta-llama/llama-3.3-70b-instruct:
        supports_json: true
        meta: {greybox: {text: 6}}
  ionet:
    host: https://api.intelligence.io.solutions/api
    provider: openai-compatible
    key: \${ENV[IOINTELLIGENCEKEY]}
    models:
      meta-llama/Llama-3.3-70B-Instruct:
        supports_json: true
        meta: {greybox: {text: 7}}
  comput3:
    enabled: false
    host: https://api.comput3.ai
    provider: openai-compatible
    key: \${ENV[COMPUT3KEY]}
    models:
      llama3:70b: {supports_json: true, supports_image: false}
  libertai:
    enabled: false
    host: https://api.libertai.io
    provider: openai-compatible
    key: \${ENV[LIBERTAI_API_KEY]}
    models:
      hermes-3-8b-tee: {supports_json: true, supports_image: false}
  openai:
    enabled: false
    host: https://api.openai.com
    provider: openai-compatible
    key: \${ENV[OPENAIKEY]}
    models:
      gpt-4o: {supports_json: true, supports_image: true}
  anthropic:
    enabled: false
    host: https://api.anthropic.com
    provider: anthropic
    key: \${ENV[ANTHROPICKEY]}
    models:
      claude-haiku-4-5-20251001: {supports_json: true, supports_image: true}
  google:
    enabled: false
    host: https://generativelanguage.googleapis.com
    provider: google
    key: \${ENV[GEMINIKEY]}
    models:
      gemini-2.5-flash: {supports_json: true, supports_image: true}
prompt_templates:
  eq_comparative: "compare #{leader_answer} with #{validator_answer}"
`;

export const LUA_DEFAULT_TEXT = `-- GenVM LLM strategy "default" (sandbox stand-in): any enabled backend that fits the request,
-- in arbitrary order, falling back on overload.
local llm = require("lib-llm")

function ExecPrompt(ctx, args, remaining_gen)
  local mapped = llm.exec_prompt_transform(args)
  return llm.exec_any(ctx, llm.select_providers_for(mapped.prompt, mapped.format), mapped)
end

function ExecPromptTemplate(ctx, args, remaining_gen)
  local mapped = llm.exec_prompt_template_transform(args)
  return llm.exec_any(ctx, llm.select_providers_for(mapped.prompt, mapped.format), mapped)
end
`;

export const LUA_GREYBOX_TEXT = `-- GenVM LLM strategy "greybox" (sandbox stand-in): a fixed chain ordered by each model's
-- meta.greybox priority (lower first), OpenRouter first; needs OPENROUTERKEY.
local llm = require("lib-llm")

local function chain(kind)
  local out = {}
  for name, backend in pairs(llm.providers) do
    for model, m in pairs(backend.models) do
      local p = m.meta and m.meta.greybox and m.meta.greybox[kind]
      if p then table.insert(out, {provider = name, model = model, priority = p}) end
    end
  end
  table.sort(out, function(a, b) return a.priority < b.priority end)
  return out
end

function ExecPrompt(ctx, args, remaining_gen)
  local mapped = llm.exec_prompt_transform(args)
  return llm.exec_chain(ctx, chain(args.images and "image" or "text"), mapped)
end

function ExecPromptTemplate(ctx, args, remaining_gen)
  local mapped = llm.exec_prompt_template_transform(args)
  return llm.exec_chain(ctx, chain("text"), mapped)
end
`;

/** third_party/genvm/config/genvm-module-web.yaml: the web module, for a node run as a binary */
export const WEB_MODULE_CONFIG = `bind_address: 127.0.0.1:3032
lua_script_path: \${exeDir}/../config/genvm-web-default.lua
webdriver_host: http://localhost:4444
session_create_request: |
  {"capabilities":{"alwaysMatch":{"browserName":"chrome"}}}
extra_tld: []
always_allow_hosts: []
`;

/** genvm-module-web-docker.yaml: the same, reaching the WebDriver by its compose service name */
export const WEB_MODULE_DOCKER_CONFIG = WEB_MODULE_CONFIG.replace('http://localhost:4444', 'http://webdriver-container:4444');

/** configs/node/config.yaml.example (v0.5: one consensusaddress, no contractmain/dataaddress) */
export const CONFIG_EXAMPLE = `# rollup configuration
rollup:
  genlayerchainrpcurl: "TODO: Set your GenLayer Chain ZKSync HTTP RPC URL here"
  genlayerchainwebsocketurl: "TODO: Set your GenLayer Chain ZKSync WebSocket RPC URL here"
# consensus contracts configuration
consensus:
  consensusaddress: "0xe66B434bc83805f380509642429eC8e43AE9874a" # AddressManager Smart Contract Address
  genesis: 17326
# data directory
datadir: "./data/node"
logging:
  level: "INFO"
  json: false
  file:
    enabled: true
    level: "DEBUG"
    folder: logs
# node configuration
node:
  mode: "validator"
  # Address of the ValidatorWallet contract (required for validator mode)
  validatorWalletAddress: ""
  # Address of the operator that owns the ValidatorWallet
  operatorAddress: ""
  admin:
    port: 9155
  rpc:
    port: 9151 # RPC server port
  ops:
    port: 9153 # Metrics port
    endpoints:
      metrics: true # Enable metrics endpoint
      health: true # Enable health endpoint
      balance: true # Enable balance endpoint
# genvm configuration
genvm:
  root_dir: ./third_party/genvm
  start_manager: true
  manager_url: http://127.0.0.1:3999
  permits: 8
metrics:
  interval: "15s"
`;

/** .env.example: placeholders only (GenLayer's ships NODE_PASSWORD=12345678 as its example) */
export const ENV_EXAMPLE = `# GenLayer Node Release Configuration
WEBDRIVER_PORT=4444
# Keystore password (used to unlock the pre-imported wallet)
NODE_PASSWORD=12345678
NODE_CONFIG_PATH=./configs/node/config.yaml
NODE_DATA_PATH=./data
NODE_RPC_PORT=9151
NODE_OPS_PORT=9153
# LLM API keys (set the ones of the providers you use)
HEURISTKEY=
COMPUT3KEY=
IOINTELLIGENCEKEY=
LIBERTAI_API_KEY=
ANTHROPICKEY=
GEMINIKEY=
OPENAIKEY=
OPENROUTERKEY=
MORPHEUS_API_KEY=
# Central monitoring (Alloy)
CENTRAL_MONITORING_URL=https://prometheus-prod-66-prod-us-east-3.grafana.net/api/prom/push
CENTRAL_LOKI_URL=https://logs-prod-042.grafana.net/loki/api/v1/push
CENTRAL_MONITORING_USERNAME=
CENTRAL_MONITORING_PASSWORD=
CENTRAL_LOKI_USERNAME=
CENTRAL_LOKI_PASSWORD=
NODE_ID=
VALIDATOR_NAME=
`;

export const ALLOY_CONFIG = `// Grafana Alloy configuration for GenLayer node telemetry (sandbox, abridged)
local.file_match "genlayer_logs" {
  path_targets = [{ __path__ = coalesce(sys.env("LOG_FILE_PATTERN"), "/var/log/genlayer/node*.log") }]
}

loki.source.file "genlayer" {
  targets       = local.file_match.genlayer_logs.targets
  forward_to    = [loki.write.central.receiver]
  tail_from_end = true
}

loki.write "central" {
  endpoint {
    url = sys.env("CENTRAL_LOKI_URL")
    basic_auth {
      username = sys.env("CENTRAL_LOKI_USERNAME")
      password = sys.env("CENTRAL_LOKI_PASSWORD")
    }
  }
}

prometheus.scrape "genlayer_node" {
  targets         = [{ __address__ = coalesce(sys.env("NODE_METRICS_ENDPOINT"), "host.docker.internal:9153") }]
  forward_to      = [prometheus.remote_write.central.receiver]
  scrape_interval = coalesce(sys.env("METRICS_SCRAPE_INTERVAL"), "60s")
}

prometheus.remote_write "central" {
  endpoint {
    url = sys.env("CENTRAL_MONITORING_URL")
    basic_auth {
      username = sys.env("CENTRAL_MONITORING_USERNAME")
      password = sys.env("CENTRAL_MONITORING_PASSWORD")
    }
  }
}
`;

export const ALLOY_HEALTHCHECK = `#!/bin/sh
# Alloy container healthcheck (sandbox): ready, and the node's log is being tailed.
wget -q -O /dev/null http://127.0.0.1:12345/-/ready || exit 1
[ -n "$(find /var/log/genlayer -name 'node*.log' -mmin -10 2>/dev/null)" ] || exit 1
exit 0
`;

/** docker-compose.yaml: the WebDriver, the node (profile node) and Alloy (profile monitoring) */
export function dockerCompose(o: { healthcheck: boolean }): string {
  return `services:
  webdriver-container:
    container_name: genlayer-node-webdriver
    image: yeagerai/genlayer-genvm-webdriver:0.0.10
    shm_size: 2gb
    environment:
      PORT: 4444
    ports:
      - "\${WEBDRIVER_PORT:-4444}:4444"
    restart: unless-stopped
  genlayer-node:
    image: yeagerai/genlayer-node:\${NODE_VERSION:-latest}
    entrypoint: ["sh", "-c", "/app/bin/genlayernode run --password \${NODE_PASSWORD:-12345678}"]
    container_name: genlayer-node
    env_file:
      - path: ./.env
        required: false
    volumes:
      - \${NODE_CONFIG_PATH:-./configs/node/config.yaml}:/app/configs/node/config.yaml:ro
      - \${NODE_DATA_PATH:-./data}:/app/data
      - ./genvm-module-web-docker.yaml:/app/third_party/genvm/config/genvm-module-web.yaml
    profiles:
      - node
  alloy:
    image: grafana/alloy:v1.12.0
    container_name: genlayer-node-alloy
    command: [run, /etc/alloy/config.river, --server.http.listen-addr=0.0.0.0:12345, --storage.path=/var/lib/alloy/data]
    volumes:
      - ./alloy-config.river:/etc/alloy/config.river:ro
${
  o.healthcheck
    ? `      - ./alloy-healthcheck.sh:/etc/alloy/healthcheck.sh:ro
`
    : ''
}      - \${NODE_LOGS_PATH:-./data/node/logs}:/var/log/genlayer:ro
      - alloy_data:/var/lib/alloy
${
  o.healthcheck
    ? `    healthcheck:
      test: ["CMD", "sh", "/etc/alloy/healthcheck.sh"]
      interval: 120s
`
    : ''
}    restart: unless-stopped
    profiles:
      - monitoring
    extra_hosts:
      - "host.docker.internal:host-gateway"
volumes:
  alloy_data:
`;
}
