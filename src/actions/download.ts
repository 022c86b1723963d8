// the download of a release: src/actions/download/ (one streaming pipeline, its hashes, its
// unpacking, its progress and its messages)
export { download } from './download/index.js';
