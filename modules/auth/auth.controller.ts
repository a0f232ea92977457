import { Body, Controller, Get, HttpCode, Post, Req, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AllowRestrictedSession, CurrentPrincipal, Public, type RequestWithPrincipal } from './decorators.js';
import { ChangePasswordDto, DisableTotpDto, LoginDto, SecondFactorDto } from './auth.dto.js';
import { SECOND_FACTOR_ROUTE } from './auth.guard.js';
import { AuthService, type RequestMeta } from './auth.service.js';
import type { Principal } from './principal.js';

function meta(req: Request & RequestWithPrincipal): RequestMeta {
  return { clientIp: req.ip ?? 'unknown', requestId: req.id ?? null };
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in: an opaque bearer token (60 minutes without use, 12 hours in all, by default).' })
  login(@Body() body: LoginDto, @Req() req: Request & RequestWithPrincipal) {
    return this.auth.login(body.username, body.password, meta(req));
  }

  @Post('second-factor')
  @HttpCode(200)
  @SetMetadata(SECOND_FACTOR_ROUTE, true)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Complete a sign-in with the authenticator code or a recovery code.' })
  secondFactor(@CurrentPrincipal() p: Principal, @Body() body: SecondFactorDto, @Req() req: Request & RequestWithPrincipal) {
    return this.auth.secondFactor(p, body.code, meta(req));
  }

  @Post('logout')
  @HttpCode(204)
  @SetMetadata(SECOND_FACTOR_ROUTE, true)
  @AllowRestrictedSession()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Revoke the current token.' })
  async logout(@CurrentPrincipal() p: Principal, @Req() req: Request & RequestWithPrincipal): Promise<void> {
    await this.auth.logout(p, meta(req));
  }

  @Get('me')
  @AllowRestrictedSession()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in user.' })
  me(@CurrentPrincipal() p: Principal) {
    return this.auth.me(p);
  }

  @Post('password')
  @HttpCode(200)
  @AllowRestrictedSession()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change your own password (ends every session: sign in again).' })
  password(@CurrentPrincipal() p: Principal, @Body() body: ChangePasswordDto, @Req() req: Request & RequestWithPrincipal) {
    return this.auth.changePassword(p, body.currentPassword, body.newPassword, meta(req));
  }

  @Post('totp/enrol')
  @HttpCode(200)
  @AllowRestrictedSession()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Start enrolling an authenticator app: returns the secret and an otpauth:// URI.' })
  enrol(@CurrentPrincipal() p: Principal, @Req() req: Request & RequestWithPrincipal) {
    return this.auth.enrolTotp(p, meta(req));
  }

  @Post('totp/verify')
  @HttpCode(200)
  @AllowRestrictedSession()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Finish enrolment with a code from the app: returns ten single-use recovery codes, shown once.' })
  verify(@CurrentPrincipal() p: Principal, @Body() body: SecondFactorDto, @Req() req: Request & RequestWithPrincipal) {
    return this.auth.verifyTotpEnrolment(p, body.code, meta(req));
  }

  @Post('totp/disable')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Turn the second factor off (password and a code needed; refused where the role requires it).' })
  disable(@CurrentPrincipal() p: Principal, @Body() body: DisableTotpDto, @Req() req: Request & RequestWithPrincipal) {
    return this.auth.disableTotp(p, body.password, body.code, meta(req));
  }
}
