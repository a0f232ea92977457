import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNotAcceptableResponse, ApiOperation, ApiProduces, ApiResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { HavenError } from '../common/errors.js';
import { CurrentActor, type Actor } from '../users/request-actor.js';
import { PdfRenderer, pdfNotAvailable } from './pdf-renderer.js';
import { PrintQuery } from './print.dto.js';
import { PrintService, type PrintFormat } from './print.service.js';

/** Printable documents of one record (docs/notifications.md, "Documents"). */
@ApiTags('records')
@ApiBearerAuth()
@Controller('records')
export class PrintController {
  constructor(
    private readonly printing: PrintService,
    private readonly pdf: PdfRenderer,
  ) {}

  @Get(':recordType/:id/print')
  @ApiOperation({
    summary: 'A record as a document ready to print (HTML with print CSS), from a document template of the bundles.',
    description:
      'Same access as reading the record: a record you cannot read is a 404. The document holds only what you may read on the record: ' +
      '`case_summary` prints every form you may read, in form order, subforms as tables; `referral_letter` (with `referral=<id>`) prints only the forms that referral shares. ' +
      'Labels are in `locale` (default: yours); Arabic prints right to left. Every print is audited (`record.print`, with the template key). ' +
      '`Accept: application/pdf` answers the same document as an A4 PDF rendered by the server\'s Chromium; a server without Chromium answers 406 ' +
      '(docs/decisions/0009-printing.md). The audit row names the format.',
  })
  @ApiProduces('text/html', 'application/pdf')
  @ApiResponse({
    status: 200,
    description: 'The HTML document, or the same document as PDF (`Accept: application/pdf`).',
    content: { 'text/html': { schema: { type: 'string' } }, 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiNotAcceptableResponse({ description: 'Neither HTML nor PDF is accepted, or PDF was asked for on a server without Chromium.' })
  @ApiServiceUnavailableResponse({ description: 'The PDF could not be rendered in time (the renderer is busy or did not start); the HTML is still available.' })
  async print(
    @Param('recordType') recordType: string,
    @Param('id') id: string,
    @Query() query: PrintQuery,
    @CurrentActor() actor: Actor,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const accepted = req.accepts(['text/html', 'application/pdf']);
    if (accepted === false) throw new HavenError('not_acceptable', 'Printouts are text/html or application/pdf: accept one of them.');
    const format: PrintFormat = accepted === 'application/pdf' ? 'pdf' : 'html';
    if (format === 'pdf' && !this.pdf.available) throw pdfNotAvailable();
    const doc = await this.printing.print(actor, recordType, id, query, format);
    if (doc.pdf !== undefined) {
      res
        .status(200)
        .set({
          'Content-Type': 'application/pdf',
          'Content-Language': doc.locale,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
          Vary: 'Accept',
          'Content-Disposition': `inline; filename="${doc.filename}.pdf"`,
        })
        .send(doc.pdf);
      return;
    }
    res
      .status(200)
      .set({
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Language': doc.locale,
        'Cache-Control': 'no-store',
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'",
        'X-Content-Type-Options': 'nosniff',
        Vary: 'Accept',
        'Content-Disposition': `inline; filename="${doc.filename}.html"`,
      })
      .send(doc.html);
  }
}
