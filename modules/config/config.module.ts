import { Module } from '@nestjs/common';
import { ActiveConfigService } from './active-config.service.js';
import { GovernanceController } from './governance.controller.js';
import { GovernanceService } from './governance.service.js';
import { LocalizationController } from './localization.controller.js';
import { LocalizationService } from './localization.service.js';
import { MetadataController } from './metadata.controller.js';

@Module({
  providers: [ActiveConfigService, GovernanceService, LocalizationService],
  controllers: [MetadataController, GovernanceController, LocalizationController],
  exports: [ActiveConfigService],
})
export class ConfigBundlesModule {}
