export { createPlatform, platformForStorage } from './registry';
