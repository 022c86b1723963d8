// the download of a release: src/actions/download/ (one streaming pipeline, its hashes, its
// unpacking, its progress and its messages)
export { download, parseGoogHash, type Downloaded } from './download/index.js';
