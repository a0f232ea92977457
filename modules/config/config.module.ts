import { Module } from '@nestjs/common';
import { ActiveConfigService } from './active-config.service.js';
import { MetadataController } from './metadata.controller.js';

@Module({ providers: [ActiveConfigService], controllers: [MetadataController], exports: [ActiveConfigService] })
export class ConfigBundlesModule {}
