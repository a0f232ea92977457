import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { listLocations, localeDirection, localizeForms, localizeLookup, type CompiledConfig } from '../../engine/index.js';
import { CurrentPrincipal } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { HavenError } from '../common/errors.js';
import { formsForCaller } from './form-filter.js';
import { ActiveConfigService } from './active-config.service.js';
import { FormsQuery, LocaleQuery, LocationsQuery, LOOKUP_KEY } from './metadata.dto.js';

const disabledCache = new WeakMap<CompiledConfig, ReadonlySet<string>>();

/** Codes of disabled places (kept because records use them; not offered for new choices). */
function disabledLocations(compiled: CompiledConfig): ReadonlySet<string> {
  let found = disabledCache.get(compiled);
  if (!found) {
    found = new Set(compiled.source.flatMap((b) => b.locations.flatMap((l) => l.def.locations.filter((p) => p.disabled === true).map((p) => p.code))));
    disabledCache.set(compiled, found);
  }
  return found;
}

/**
 * Read side of the active configuration: modules, localized form definitions ready to render, lookups and
 * locations. Modules and forms are cut down to what the caller's roles may read: a record type the caller
 * cannot read at all looks exactly like one that does not exist.
 */
@ApiTags('configuration')
@ApiBearerAuth()
@Controller()
export class MetadataController {
  constructor(private readonly config: ActiveConfigService) {}

  @Get('modules')
  @ApiOperation({ summary: 'Modules of the active configuration, with their record types and bundle versions.' })
  modules(@Query() query: LocaleQuery, @CurrentPrincipal() principal: Principal) {
    const compiled = this.config.current();
    const locale = query.locale ?? this.baseLanguage();
    const items = compiled.source.flatMap((bundle) =>
      bundle.modules
        .filter(({ def }) => def.recordTypes.some((rt) => principal.ability.formAccess(def.key, rt).size > 0))
        .map(({ def }) => ({
        key: def.key,
        label: compiled.texts.text(`module.${def.key}.label`, locale) ?? def.label,
        bundle: { key: bundle.key, version: bundle.manifest.version, hash: bundle.hash },
        recordTypes: def.recordTypes.filter((rt) => principal.ability.formAccess(def.key, rt).size > 0).map((rt) => {
          const compiledType = compiled.findRecordType(def.key, rt);
          return { key: rt, label: compiled.texts.text(`recordType.${def.key}.${rt}.label`, locale) ?? compiledType?.label ?? rt };
        }),
      })),
    );
    return { locale, direction: localeDirection(compiled, locale), configHash: compiled.hash, overlayVersion: this.config.overlayVersion(), items };
  }

  @Get('forms')
  @ApiOperation({ summary: 'The forms of one record type of one module, localized and ready to render.' })
  @ApiOkResponse({ description: 'Forms in display order with fields, options, rules and texts in the requested locale.' })
  forms(@Query() query: FormsQuery, @CurrentPrincipal() principal: Principal) {
    const compiled = this.config.current();
    if (!compiled.findRecordType(query.module, query.recordType) || principal.ability.formAccess(query.module, query.recordType).size === 0) {
      throw HavenError.notFound("No such record type.");
    }
    const forms = localizeForms(compiled, { module: query.module, recordType: query.recordType, locale: query.locale ?? this.baseLanguage() });
    return formsForCaller(forms, principal.ability);
  }

  @Get('lookups')
  @ApiOperation({ summary: 'Every lookup: key, label, whether system administrators may localize it, and its number of options.' })
  lookups(@Query() query: LocaleQuery) {
    const compiled = this.config.current();
    const locale = query.locale ?? this.baseLanguage();
    const items = [...compiled.lookups.keys()].sort().map((key) => {
      const lookup = localizeLookup(compiled, key, locale)!;
      return { key, label: lookup.label, localizable: lookup.localizable, options: lookup.options.length };
    });
    return { locale, overlayVersion: this.config.overlayVersion(), items, total: items.length };
  }

  @Get('lookups/:key')
  @ApiOperation({ summary: 'One lookup with its options, localized.' })
  lookup(@Param('key') key: string, @Query() query: LocaleQuery) {
    if (!LOOKUP_KEY.test(key)) throw HavenError.notFound(`No lookup "${key}".`);
    const locale = query.locale ?? this.baseLanguage();
    const lookup = localizeLookup(this.config.current(), key, locale);
    if (!lookup) throw HavenError.notFound(`No lookup "${key}".`);
    return { ...lookup, locale, direction: localeDirection(this.config.current(), locale) };
  }

  @Get('locations')
  @ApiOperation({ summary: 'Locations of the hierarchy: the children of `parent` (top level when empty) and/or one admin level.' })
  locations(@Query() query: LocationsQuery) {
    const compiled = this.config.current();
    if (query.parent && !compiled.locations.nodes.has(query.parent)) throw HavenError.notFound(`No location "${query.parent}".`);
    const locale = query.locale ?? this.baseLanguage();
    const items = listLocations(compiled, {
      parent: query.parent === undefined ? (query.level === undefined ? null : undefined) : query.parent === '' ? null : query.parent,
      level: query.level,
      locale,
    });
    const disabled = disabledLocations(compiled);
    return { locale, items: disabled.size === 0 ? items : items.map((item) => (disabled.has(item.code) ? { ...item, disabled: true } : item)), total: items.length };
  }

  private baseLanguage(): string {
    return this.config.current().bundles[0]?.baseLanguage ?? 'en';
  }
}
