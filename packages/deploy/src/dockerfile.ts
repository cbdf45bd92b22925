/**
 * The container image the rendered objects run: the repository with its dependencies installed
 * (pnpm, from the lockfile) and the tutti command built. One image for the head and the agents.
 */
export function renderDockerfile(): string {
  return `# tutti: one image for the head (tutti serve) and the agents (tutti agent).
# Build from the repository's root: docker build -f DIR/Dockerfile -t IMAGE .
FROM node:20-bookworm-slim
WORKDIR /app
COPY . .
RUN npx --yes pnpm@10.34.8 install --frozen-lockfile && rm -rf /root/.cache /root/.npm
# GPU agents: add onnxruntime-node's CUDA provider here (docs/GPU.md), on a CUDA 12 base image.
ENTRYPOINT ["node", "/app/packages/cli/bin/tutti.js"]
`;
}
